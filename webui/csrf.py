"""The app's CSRF protection, alone in a leaf module: the app factory sets it up, and pages that
check a token themselves (streamed uploads) use it without importing the app's package."""

from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
