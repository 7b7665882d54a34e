from tests.factories import mark_reauthenticated  # noqa: F401  (the apps' tests take it from here)

VALID_LV_VAT = "LV40003245752"
VALID_LV_REG = "40003245752"


