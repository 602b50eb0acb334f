import pytest

from tests.unit.reception.reception_testing import make_reception_world


@pytest.fixture(scope="session")
def seal_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("seal"))


@pytest.fixture
def rworld(seal_dir):
    return make_reception_world(seal_dir)
