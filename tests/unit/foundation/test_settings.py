import pytest
from pydantic import ValidationError

from einvoice.settings import ENV, Settings


def test_settings_read_from_environment_mapping():
    s = Settings.from_env({ENV["data_table"]: "t-data", ENV["stage"]: "prod", "UNRELATED": "x"})
    assert s.data_table == "t-data" and s.stage == "prod"
    assert Settings.from_env(s.to_env()) == s


def test_invalid_settings_fail_at_cold_start():
    with pytest.raises(ValidationError):
        Settings.from_env({ENV["ocr_engine"]: "magic"})
    with pytest.raises(ValidationError):
        Settings(unknown_field=1)


def test_every_setting_has_an_environment_variable():
    assert set(ENV) == set(Settings.model_fields)
