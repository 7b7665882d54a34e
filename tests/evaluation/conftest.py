import pytest


@pytest.fixture
def programme(db):
    """The real reference data (calls, criteria, LV01 VET envelopes) as `manage load_programme` loads it."""
    from eplus.programme.loader import load_programme

    return load_programme()
