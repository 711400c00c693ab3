"""Fixtures of the return-workbook tests: a template and three councils' filled returns."""

from tests.io.workbook.filling import filled, folder, good, template_path, v1_template_path  # noqa: F401  (fixtures)
