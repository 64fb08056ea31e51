"""The REST API under /api/v1: JSON in and out, authenticated by bearer tokens only. Each domain
registers its resources on the blueprint (webui.api.blueprint) from its own `api` module;
webui.api.registry imports them all. This package itself imports nothing, so that a domain's
schema may build on webui.api.schema without pulling in every other domain."""
