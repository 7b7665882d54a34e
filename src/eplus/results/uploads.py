"""Result files and logos: the 100 MB upload handler and the logo's thumbnail.

The files themselves are checked and stored by the one upload service (``core.files``): by content,
in depth, streamed in chunks with their SHA-256, under generated names.
"""

import io

from django.core.files.base import ContentFile
from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler
from django.utils.translation import gettext as _

from eplus.core.files import LOGO, MAX_RESULT_FILE_BYTES, check_upload

THUMBNAIL_SIZE = (240, 240)
# Multipart framing and the other form fields on top of the file itself.
MULTIPART_SLACK = 1024 * 1024


def too_large_message(name=""):
    if name:
        return _("The file %(name)s is larger than 100 MB. Each file may be at most 100 MB "
                 "(104 857 600 bytes): make it smaller or split it, then upload it again.") % {"name": name}
    return _("The file is larger than 100 MB. Each file may be at most 100 MB (104 857 600 bytes): "
             "make it smaller or split it, then upload it again.")


def check_logo(fileobj, filename):
    """(CheckedFile of the logo, its PNG thumbnail as ContentFile): the image checked by the upload service."""
    from PIL import Image

    checked = check_upload(fileobj, filename, LOGO)
    fileobj.seek(0)
    with Image.open(fileobj) as image:
        image.load()
        thumb = image.convert("RGBA") if image.mode not in ("RGB", "RGBA") else image.copy()
    thumb.thumbnail(THUMBNAIL_SIZE)
    out = io.BytesIO()
    thumb.save(out, format="PNG")
    fileobj.seek(0)
    return checked, ContentFile(out.getvalue(), name="thumbnail.png")


# --- the upload handler ----------------------------------------------------------------------

class LimitedUploadHandler(TemporaryFileUploadHandler):
    """Spools every uploaded file to a temporary file on disk (never memory) and skips any file
    that goes past the limit, noting it on the request so the view can say so clearly.

    When the whole request's Content-Length is already over the limit, nothing is written at all.
    """

    limit = MAX_RESULT_FILE_BYTES

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.request.results_too_large = []
        self.whole_request_too_large = bool(content_length and content_length > self.limit + MULTIPART_SLACK)
        return None

    def new_file(self, field_name, file_name, *args, **kwargs):
        self.received = 0
        self.skipping = False
        if getattr(self, "whole_request_too_large", False):
            self.request.results_too_large.append(file_name)
            self.skipping = True
            raise SkipFile()
        return super().new_file(field_name, file_name, *args, **kwargs)

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.request.results_too_large.append(self.file_name)
            self.file.close()
            raise SkipFile()
        return super().receive_data_chunk(raw_data, start)
