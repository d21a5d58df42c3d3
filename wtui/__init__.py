"""wtui: the morning queue for sales reps who sell over WhatsApp."""

__version__ = "0.1.0"
