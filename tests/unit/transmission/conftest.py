import pytest

from tests.unit.transmission.transmission_testing import make_world


@pytest.fixture(scope="session")
def seal_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("seal"))


@pytest.fixture
def world(seal_dir):
    return make_world(seal_dir)
