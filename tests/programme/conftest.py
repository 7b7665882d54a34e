import pytest

from eplus.programme.loader import load_programme


@pytest.fixture
def programme(db):
    """The real reference data from programme/data/, loaded as `./run manage load_programme` does."""
    return load_programme()
