"""Image policy defaults, under glance's names, in its secure-RBAC spirit: members of the
owning project manage an image, readers read what they can see (which images a project
can see is decided by visibility and membership, in the manager), admins do anything."""

from __future__ import annotations

from gureum.core.policy import Rule

OWNER = "role:admin or (role:member and project_id:%(project_id)s)"
READER = "role:admin or role:reader"

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
]
