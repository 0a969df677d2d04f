"""Validating real responses against the served OpenAPI document."""
import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012


class OpenAPI:
    def __init__(self, document: dict):
        self.document = document
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self.registry = Registry().with_resource("urn:openapi", resource)

    def response_schema(self, path: str, method: str, status: int) -> dict:
        operation = self.document["paths"][path][method.lower()]
        response = operation["responses"][str(status)]
        return response["content"]["application/json"]["schema"]

    def validate(self, path: str, method: str, response) -> None:
        """Fail unless `response` (a Flask test response) is documented and matches."""
        schema = self.response_schema(path, method, response.status_code)
        if "$ref" in schema:
            schema = {"$ref": "urn:openapi" + schema["$ref"]}
        validator = jsonschema.Draft202012Validator(
            schema, registry=self.registry, format_checker=jsonschema.FormatChecker())
        validator.validate(response.get_json())
