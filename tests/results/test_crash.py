"""A worker killed during a result upload leaves no result without its file and no file without its
record once the sweep has run (the review left both: a result without its file and a stray 50 MB file)."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from eplus.core.sweep import run_sweep
from eplus.results.models import Result, ResultFile
from tests.crash import run_killed
from tests.samples import large_pdf

pytestmark = pytest.mark.django_db(transaction=True)

UPLOAD = """
from django.core.files import File

from eplus.accounts.models import User
from eplus.results import editing
from eplus.results.models import ProjectCard

card, user = ProjectCard.objects.get(pk={card}), User.objects.get(pk={user})
with open({path!r}, "rb") as handle:
    editing.save_result_with_file(card, user, File(handle, name="guide.pdf"), title="Guide", result_type="handbook",
                                  description_en="A fictional guide.", link="", public_flag=True)
"""


def _stored_files(card):
    folder = settings.MEDIA_ROOT / "results" / "files" / str(card.pk)
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("kill", [
    # the whole file is in storage, its record is being written
    "from eplus.results.models import ResultFile\nResultFile.save = die\n",
    # half of the file is written
    "from django.core.files.storage import FileSystemStorage\n"
    "keep = FileSystemStorage._save\n"
    "def half(self, name, content):\n"
    "    if name.startswith('pending-uploads'):\n"
    "        return keep(self, name, content)\n"
    "    os.makedirs(os.path.dirname(self.path(name)), exist_ok=True)\n"
    "    with open(self.path(name), 'wb') as out:\n"
    "        out.write(content.read(10 << 20))\n"
    "    die()\n"
    "FileSystemStorage._save = half\n",
], ids=["after-the-file", "mid-file"])
def test_a_worker_killed_during_a_50_mb_result_upload_leaves_nothing_half_after_the_sweep(
        card, coordinator_user, tmp_path, kill):
    path = large_pdf(tmp_path / "guide.pdf", 50 * 1024 * 1024)
    run_killed(kill + UPLOAD.format(card=card.pk, user=coordinator_user.pk, path=str(path)))
    assert not Result.objects.filter(card=card).exists() and not ResultFile.objects.exists()
    assert len(_stored_files(card)) == 1  # the stray file the review found
    assert run_sweep(timezone.now())["core"]["orphan_uploads_removed"] == 0  # maybe an upload still on its way
    later = timezone.now() + timedelta(seconds=settings.UPLOAD_PENDING_GRACE_SECONDS + 60)
    assert run_sweep(later)["core"]["orphan_uploads_removed"] == 1
    assert _stored_files(card) == []
    assert run_sweep(later)["core"]["orphan_uploads_removed"] == 0


def test_an_upload_that_completes_keeps_its_file_through_the_sweep(card, coordinator_user, tmp_path):
    from django.core.files import File

    from eplus.core.files import is_referenced
    from eplus.results import editing

    path = large_pdf(tmp_path / "guide.pdf", 2 * 1024 * 1024)
    with open(path, "rb") as handle:
        result = editing.save_result_with_file(card, coordinator_user, File(handle, name="guide.pdf"), title="Guide",
                                               result_type="handbook", description_en="x", link="", public_flag=True)
    record = result.files.get()
    assert is_referenced(record.file.name) and not is_referenced(record.file.name + "x")
    later = timezone.now() + timedelta(days=1)
    assert run_sweep(later)["core"]["orphan_uploads_removed"] == 0
    assert _stored_files(card) == [settings.MEDIA_ROOT / record.file.name]
