"""Trunk cards over serial links: analog lines through V.253 voice modems (FXO), their simulator, and the TDM leg."""
