"""Image policy defaults, under glance's names, in its secure-RBAC spirit: members of the
owning project manage an image, readers read what they can see (which images a project
can see is decided by visibility and membership, in the manager), admins do anything."""

from __future__ import annotations

from gureum.core.policy import Rule

OWNER = "role:admin or (role:member and project_id:%(project_id)s)"
READER = "role:admin or role:reader"

METADEF_READ = ("get_metadef_namespace", "get_metadef_namespaces", "get_metadef_object",
                "get_metadef_objects", "get_metadef_property", "get_metadef_properties",
                "get_metadef_tag", "get_metadef_tags", "list_metadef_resource_types",
                "get_metadef_resource_type")
METADEF_WRITE = ("add_metadef_namespace", "modify_metadef_namespace",
                 "delete_metadef_namespace", "add_metadef_object", "modify_metadef_object",
                 "delete_metadef_object", "add_metadef_property", "modify_metadef_property",
                 "remove_metadef_property", "add_metadef_tag", "add_metadef_tags",
                 "modify_metadef_tag", "delete_metadef_tag", "delete_metadef_tags",
                 "add_metadef_resource_type_association",
                 "remove_metadef_resource_type_association")

RULES = [
    Rule("context_is_admin", "role:admin"),
    Rule("default", "role:admin"),
    Rule("add_image", OWNER, "Create an image (for one's own project)."),
    Rule("get_images", READER, "List the images the project can see."),
    Rule("get_image", READER, "Show an image the project can see."),
    Rule("modify_image", OWNER, "Update an image, its tags."),
    Rule("delete_image", OWNER, "Delete an image."),
    Rule("upload_image", OWNER, "Upload or stage an image's data."),
    Rule("import_image", OWNER, "Import staged data into an image."),
    Rule("download_image", READER, "Download the data of an image the project can see."),
    Rule("publicize_image", "role:admin", "Make an image public."),
    Rule("communitize_image", OWNER, "Make an image community."),
    Rule("deactivate", "role:admin", "Deactivate an image."),
    Rule("reactivate", "role:admin", "Reactivate an image."),
    Rule("add_member", OWNER, "Share an image with a project."),
    Rule("delete_member", OWNER, "Stop sharing an image with a project."),
    Rule("get_member", READER, "Show a member of an image."),
    Rule("get_members", READER, "List the members of an image."),
    Rule("modify_member", "role:admin or (role:member and project_id:%(member_id)s)",
         "Accept or reject an image shared with one's project."),
    Rule("get_schemas", "", "Read the JSON schemas."),
    Rule("metadef_default", "", "Who may read metadata definitions (visibility decides "
         "which)."),
    Rule("metadef_admin", "role:admin", "Who may change metadata definitions."),
    *[Rule(name, "rule:metadef_default") for name in METADEF_READ],
    *[Rule(name, "rule:metadef_admin") for name in METADEF_WRITE],
]
