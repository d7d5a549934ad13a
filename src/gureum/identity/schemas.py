"""Request bodies, as keystone's JSON schemas accept them."""

from __future__ import annotations

from gureum.core.validation import BOOLEAN, ID, NAME, OPTIONAL_TEXT, envelope, obj

_ID_OR_NAME = {"type": "object", "properties": {"id": ID, "name": NAME},
               "minProperties": 1}
_TAGS = {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 255,
                                    "pattern": "^[^,/]*$"}, "maxItems": 80, "uniqueItems": True}
_PASSWORD = {"type": ["string", "null"], "maxLength": 4096}

NAME_64 = {**NAME, "maxLength": 64}  # keystone's limit for project and domain names
_PROJECT = {"name": NAME_64, "description": OPTIONAL_TEXT, "domain_id": ID,
            "parent_id": {"type": ["string", "null"]}, "enabled": BOOLEAN,
            "is_domain": {"const": False}, "tags": _TAGS, "options": {"type": "object"}}
CREATE_PROJECT = envelope("project", obj(_PROJECT, required=("name",), extra=True))
UPDATE_PROJECT = envelope("project", {**obj(_PROJECT, extra=True), "minProperties": 1})
PROJECT_TAGS = obj({"tags": _TAGS}, required=("tags",))

_DOMAIN = {"name": NAME_64, "description": OPTIONAL_TEXT, "enabled": BOOLEAN, "tags": _TAGS,
           "options": {"type": "object"}, "explicit_domain_id": ID}
CREATE_DOMAIN = envelope("domain", obj(_DOMAIN, required=("name",), extra=True))
UPDATE_DOMAIN = envelope("domain", {**obj(_DOMAIN, extra=True), "minProperties": 1})

_USER = {"name": NAME, "domain_id": ID, "password": _PASSWORD, "enabled": BOOLEAN,
         "default_project_id": {"type": ["string", "null"]}, "description": OPTIONAL_TEXT,
         "email": OPTIONAL_TEXT, "options": {"type": "object"}}
CREATE_USER = envelope("user", obj(_USER, required=("name",), extra=True))
UPDATE_USER = envelope("user", {**obj(_USER, extra=True), "minProperties": 1})
CHANGE_PASSWORD = envelope("user", obj({"password": {"type": "string", "minLength": 1,
                                                      "maxLength": 4096},
                                        "original_password": {"type": "string"}},
                                       required=("password", "original_password")))

_GROUP = {"name": NAME, "domain_id": ID, "description": OPTIONAL_TEXT}
CREATE_GROUP = envelope("group", obj(_GROUP, required=("name",), extra=True))
UPDATE_GROUP = envelope("group", {**obj(_GROUP, extra=True), "minProperties": 1})

_ROLE = {"name": NAME, "domain_id": {"type": ["string", "null"]},
         "description": OPTIONAL_TEXT, "options": {"type": "object"}}
CREATE_ROLE = envelope("role", obj(_ROLE, required=("name",)))
UPDATE_ROLE = envelope("role", {**obj(_ROLE), "minProperties": 1})

_REGION = {"id": ID, "description": OPTIONAL_TEXT,
           "parent_region_id": {"type": ["string", "null"]}}
CREATE_REGION = envelope("region", obj(_REGION, extra=True))
UPDATE_REGION = envelope("region", {**obj(_REGION, extra=True), "minProperties": 1})

_SERVICE = {"type": NAME, "name": {"type": "string", "maxLength": 255},
            "description": OPTIONAL_TEXT, "enabled": BOOLEAN}
CREATE_SERVICE = envelope("service", obj(_SERVICE, required=("type",), extra=True))
UPDATE_SERVICE = envelope("service", {**obj(_SERVICE, extra=True), "minProperties": 1})

_ENDPOINT = {"service_id": ID, "interface": {"enum": ["public", "internal", "admin"]},
             "url": {"type": "string", "minLength": 1, "maxLength": 1024,
                     "pattern": "^[a-zA-Z0-9+.-]+://"},
             "region_id": {"type": ["string", "null"]}, "region": {"type": ["string", "null"]},
             "enabled": BOOLEAN}
CREATE_ENDPOINT = envelope("endpoint", obj(_ENDPOINT, required=("service_id", "interface",
                                                                 "url"), extra=True))
UPDATE_ENDPOINT = envelope("endpoint", {**obj(_ENDPOINT, extra=True), "minProperties": 1})

_CREDENTIAL = {"user_id": ID, "project_id": {"type": ["string", "null"]},
               "type": {"type": "string", "minLength": 1, "maxLength": 255},
               "blob": {"type": "string", "minLength": 1}}
CREATE_CREDENTIAL = envelope("credential", obj(_CREDENTIAL, required=("user_id", "type",
                                                                       "blob"), extra=True))
UPDATE_CREDENTIAL = envelope("credential", {**obj(_CREDENTIAL, extra=True),
                                            "minProperties": 1})

CREATE_EC2 = obj({"tenant_id": ID}, required=("tenant_id",))

_ACCESS_RULE = obj({"path": {"type": "string", "minLength": 1, "maxLength": 225},
                    "method": {"enum": ["POST", "GET", "HEAD", "PATCH", "PUT", "DELETE"]},
                    "service": {"type": "string", "minLength": 1, "maxLength": 64},
                    "id": ID}, required=("path", "method", "service"))
CREATE_APP_CRED = envelope("application_credential", obj({
    "name": NAME, "description": OPTIONAL_TEXT, "secret": {"type": ["string", "null"]},
    "expires_at": {"type": ["string", "null"]},
    "roles": {"type": "array", "items": _ID_OR_NAME},
    "unrestricted": {"type": ["boolean", "null"]},
    "access_rules": {"type": "array", "items": _ACCESS_RULE},
    "system": {"type": ["string", "null"]}}, required=("name",)))

_DOMAIN_REF = _ID_OR_NAME
_USER_REF = {"type": "object", "properties": {
    "id": ID, "name": NAME, "password": {"type": "string"}, "domain": _DOMAIN_REF}}
AUTH = obj({"auth": obj({
    "identity": obj({
        "methods": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "password": obj({"user": _USER_REF}, required=("user",)),
        "token": obj({"id": {"type": "string"}}, required=("id",)),
        "application_credential": obj({"id": ID, "name": NAME,
                                       "secret": {"type": "string"}, "user": _USER_REF},
                                      required=("secret",)),
    }, required=("methods",), extra=True),
    "scope": {"oneOf": [
        {"type": "string", "enum": ["unscoped"]},
        obj({"project": {"type": "object", "properties": {
                 "id": ID, "name": NAME, "domain": _DOMAIN_REF}},
             "domain": _DOMAIN_REF,
             "system": obj({"all": BOOLEAN}),
             "OS-TRUST:trust": {"type": "object"},
             "unscoped": {}}),
    ]},
}, required=("identity",))}, required=("auth",))

V2_AUTH = obj({"auth": obj({
    "passwordCredentials": obj({"username": NAME, "password": {"type": "string"},
                                "userId": ID}, required=("password",)),
    "token": obj({"id": {"type": "string"}}, required=("id",)),
    "tenantName": {"type": "string"}, "tenantId": {"type": "string"},
}, extra=True)}, required=("auth",))

_LIMIT_VALUE = {"type": "integer", "minimum": -1, "maximum": 2147483647}
_RESOURCE_NAME = {"type": "string", "minLength": 1, "maxLength": 255}
_LIMIT_REFS = {"service_id": ID, "region_id": {"type": ["string", "null"]},
               "resource_name": _RESOURCE_NAME, "description": OPTIONAL_TEXT}
CREATE_REGISTERED_LIMITS = obj({"registered_limits": {
    "type": "array", "minItems": 1,
    "items": obj({**_LIMIT_REFS, "default_limit": _LIMIT_VALUE},
                 required=("service_id", "resource_name", "default_limit"))}},
    required=("registered_limits",))
UPDATE_REGISTERED_LIMIT = envelope("registered_limit", {
    **obj({**_LIMIT_REFS, "default_limit": _LIMIT_VALUE}), "minProperties": 1})
CREATE_LIMITS = obj({"limits": {
    "type": "array", "minItems": 1,
    "items": obj({**_LIMIT_REFS, "project_id": ID, "domain_id": ID,
                  "resource_limit": _LIMIT_VALUE},
                 required=("service_id", "resource_name", "resource_limit"))}},
    required=("limits",))
UPDATE_LIMIT = envelope("limit", {**obj({"resource_limit": _LIMIT_VALUE,
                                         "description": OPTIONAL_TEXT}), "minProperties": 1})
