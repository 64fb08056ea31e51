"""The updates' resources as the API answers them."""

from __future__ import annotations

from pydantic import BaseModel, Field

from webui.api.schema import Body, Resource


class Slot(BaseModel):
    name: str = Field(description="RAUC's slot name, e.g. rootfs.1")
    bootname: str | None = Field(description="A or B")
    booted: bool
    primary: bool = Field(description="the slot the next boot starts")
    boot_status: str | None = Field(description="good or bad, as RAUC keeps it")
    version: str | None = Field(description="the version RAUC installed there (None: written by the image build)")


class Record(BaseModel):
    ok: bool | None = None
    message: str | None = None
    version: str | None = None
    at: int | None = Field(default=None, description="Unix time")


class Progress(BaseModel):
    percent: int
    step: str
    version: str | None = None


class Pending(BaseModel):
    version: str | None = Field(default=None, description="the version installed, waiting for its trial boot")
    slot: str | None = Field(default=None, description="the slot it was written to (A or B)")
    from_version: str | None = Field(default=None, description="the version it replaces")


class UpdateStatus(Resource):
    running: str | None = Field(description="the running firmware's version")
    slots: list[Slot] | None
    error: str | None = Field(description="why the slots cannot be shown (RAUC not running)")
    last: Record | None = Field(description="the last install, refusal or rollback")
    progress: Progress | None = Field(description="an install under way")
    pending: Pending | None = Field(description="an installed version the next restart tries")
    health: Record | None = Field(description="the last boot's health check")
    poll: Record | None = Field(description="the last look at the update address")
    update_url: str


class UpdateStarted(Resource):
    version: str = Field(description="the bundle's version, now being installed")


class UpdateSettings(Body):
    url: str = Field(max_length=500, description="the vendor's update index (http:// or https://); empty: none")
