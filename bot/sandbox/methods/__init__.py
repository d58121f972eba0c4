"""The Web API methods the stand-in speaks, registered by name in ``METHODS``."""

# Importing each module registers its methods (the @method decorator fills METHODS).
from bot.sandbox.methods import chat, conversations, files, oauth, users, views
from bot.sandbox.methods.base import METHODS, Call

__all__ = ["METHODS", "Call", "chat", "conversations", "files", "oauth", "users", "views"]
