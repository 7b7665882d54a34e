import time

VALID_LV_VAT = "LV40003245752"
VALID_LV_REG = "40003245752"


def mark_reauthenticated(client, user):
    """Make allauth consider the session recently (re-)authenticated."""
    session = client.session
    session["account_authentication_methods"] = [{"method": "password", "at": time.time(), "email": user.email,
                                                   "reauthenticated": True}]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()
