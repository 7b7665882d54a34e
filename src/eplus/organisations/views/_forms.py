"""What the organisation views share."""


def add_errors(form, exc):
    """A ValidationError's messages on the form's fields (or the form, for fields it does not have)."""
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)
