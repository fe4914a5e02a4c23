import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from citytwin_server import CityTwinServer  # noqa: E402


@pytest.fixture(scope="module")
def server():
    instance = CityTwinServer().start()
    yield instance
    instance.cleanup()


@pytest.fixture
def fresh_server():
    instance = CityTwinServer().start()
    yield instance
    instance.cleanup()
