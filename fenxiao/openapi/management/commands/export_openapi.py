"""Write the API v1 OpenAPI document to docs/openapi-v1.json (the same document served at
/api/v1/openapi.json)."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from fenxiao.openapi.api import api_v1

DEFAULT = Path(settings.BASE_DIR) / "docs" / "openapi-v1.json"


def document() -> str:
    return json.dumps(api_v1.get_openapi_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class Command(BaseCommand):
    help = "Write the API v1 OpenAPI document to docs/openapi-v1.json."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--output", default=str(DEFAULT))

    def handle(self, *args, output: str, **options) -> None:
        Path(output).write_text(document(), encoding="utf-8")
        self.stdout.write(f"wrote {output}")
