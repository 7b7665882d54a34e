"""Project Results Platform (DOMAIN §8): the public project card, its organisations, contacts,
results with their files, and the review trail.

What of this is public is decided in one place only: :mod:`eplus.results.public`.
"""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from eplus.core.audit import AuditedModel, TimeStampedModel
from eplus.core.money import MoneyField


class ProjectStatus(models.TextChoices):
    ONGOING = "ongoing", _("Ongoing")
    FINALISED = "finalised", _("Finalised")
    TERMINATED = "terminated", _("Terminated")  # imported from the Commission's files, or before the procedure
    TERMINATED_WITH_COSTS = "terminated-with-costs", _("Terminated with eligible costs")
    TERMINATED_WITHOUT_COSTS = "terminated-without-costs", _("Terminated without eligible costs")


# The project statuses whose approved results are public: a finalised project, and one terminated with eligible
# costs (its activities were implemented; Erasmus+ lump-sum model grant agreement, eplus.projects.termination).
RESULTS_PUBLIC_STATUSES = (ProjectStatus.FINALISED, ProjectStatus.TERMINATED_WITH_COSTS)
TERMINATED_STATUSES = (ProjectStatus.TERMINATED, ProjectStatus.TERMINATED_WITH_COSTS,
                       ProjectStatus.TERMINATED_WITHOUT_COSTS)


class ResultsStatus(models.TextChoices):
    OPEN = "open", _("Open for uploading results")
    AVAILABLE = "available", _("Available for submission")
    UNDER_REVIEW = "under-review", _("Under review by the National Agency")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned with comments")


class ResultType(models.TextChoices):
    """Result types since 2024 (DOMAIN §8), as stable keys."""

    PROJECT_SUMMARY = "project-summary", _("Project summary, illustration or working document")
    HANDBOOK = "handbook", _("Handbook, guide, tutorial or compendium")
    LEARNING_PROGRAMME = "learning-programme", _("Learning programme, curriculum or methodology")
    E_LEARNING = "e-learning", _("E-learning module, online training or MOOC")
    SCIENTIFIC = "scientific", _("Scientific results")
    STATISTICAL = "statistical", _("Statistical results")
    POLICY_RECOMMENDATION = "policy-recommendation", _("Policy recommendation")
    PRESENTATION = "presentation", _("Presentation")
    PRESS_ARTICLE = "press-article", _("Press article")
    PUBLICATION = "publication", _("Publication")
    WEBSITE = "website", _("Website or online platform")
    MOBILE_APPLICATION = "mobile-application", _("Mobile application")
    VIDEO = "video", _("Video")
    PHOTO = "photo", _("Photo")
    OTHER = "other", _("Other")


def logo_path(instance, filename):
    return f"results/logos/{instance.pk or 'new'}/{filename}"


class ProjectCard(AuditedModel, TimeStampedModel):
    """The public card of one contracted project. Made from the project's data, never retyped."""

    identifier = models.CharField(_("project identifier"), max_length=64, unique=True)
    title = models.CharField(_("project title"), max_length=500)
    summary_en = models.TextField(_("project summary (English)"), blank=True)
    programme = models.CharField(_("programme"), max_length=40, default="Erasmus+")
    key_action = models.CharField(_("key action"), max_length=120, blank=True)
    action = models.CharField(_("action"), max_length=40, blank=True, db_index=True, help_text=_("e.g. KA220"))
    action_type = models.CharField(_("action type"), max_length=200, blank=True, help_text=_("e.g. KA220-VET"))
    sector = models.CharField(_("sector"), max_length=3, blank=True, db_index=True)
    call_year = models.PositiveSmallIntegerField(_("call year"), null=True, blank=True, db_index=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True, db_index=True)
    eu_grant = MoneyField(_("EU grant"), null=True, blank=True)
    topics = models.JSONField(_("topics"), default=list, blank=True)
    topics_text = models.TextField(_("topics (text)"), blank=True, editable=False)
    status = models.CharField(_("project status"), max_length=24, choices=ProjectStatus.choices,
                              default=ProjectStatus.ONGOING, db_index=True)
    agency = models.ForeignKey("programme.Agency", verbose_name=_("agency"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="project_cards")
    coordinator = models.ForeignKey("organisations.Organisation", verbose_name=_("coordinating organisation"),
                                    null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="coordinated_cards")
    website = models.URLField(_("project website"), blank=True, max_length=500)
    logo = models.FileField(_("logo"), upload_to=logo_path, blank=True, max_length=300)
    logo_thumbnail = models.FileField(_("logo thumbnail"), upload_to=logo_path, blank=True, max_length=300)
    good_practice = models.BooleanField(_("good practice"), default=False, db_index=True)
    success_story = models.BooleanField(_("success story"), default=False, db_index=True)
    results_status = models.CharField(_("results status"), max_length=16, choices=ResultsStatus.choices,
                                      default=ResultsStatus.OPEN, db_index=True)
    final_report_submitted = models.BooleanField(_("final report submitted"), default=False)
    submission_invited_at = models.DateTimeField(_("invited to submit results at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("results submitted at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("results approved at"), null=True, blank=True)
    published_at = models.DateTimeField(_("card published at"), null=True, blank=True, db_index=True)
    # Public text only (built by eplus.results.public). The search index itself is SearchRow.
    search_document = models.TextField(editable=False, blank=True)
    # Historical projects imported from the Commission's project lists (eplus.results.importer): records
    # only, never in the beneficiaries' workflows (no invitations, reminders or review queues).
    imported_from = models.CharField(_("imported from file"), max_length=255, blank=True, default="", db_default="")
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True, db_index=True)
    # The Commission's own values, kept as its files write them (so an export gives them back). The database
    # defaults let bulk loaders (COPY, bench/) leave these columns out.
    commission_url = models.URLField(_("project card on the Commission's platform"), max_length=500, blank=True,
                                     default="", db_default="")
    commission_status = models.CharField(_("project status as the Commission writes it"), max_length=40,
                                         blank=True, default="", db_default="")
    commission_results_available = models.BooleanField(_("results available on the Commission's platform"),
                                                       null=True, blank=True)
    # The search's folded forms (eplus.results.folding, written by eplus.results.index): the title as an
    # exact title is looked up (ranked first), and — SQLite, the demo — the folded, stemmed words of the
    # public search text (" word word … ").
    # (db_default: rows written in SQL, e.g. bench/search.py's COPY, need not name them.)
    search_title = models.CharField(max_length=500, editable=False, blank=True, default="", db_default="",
                                    db_index=True)
    search_terms = models.TextField(editable=False, blank=True, default="", db_default="")

    audit_status_field = "results_status"
    audit_exclude = ("updated_at", "version", "search_document", "topics_text", "search_title", "search_terms")

    class Meta:
        ordering = ["-call_year", "identifier"]
        verbose_name = _("project card")
        verbose_name_plural = _("project cards")

    def __str__(self):
        return f"{self.identifier} — {self.title}"

    def get_absolute_url(self):
        return reverse("results:project", args=[self.identifier])

    @property
    def audit_agency_code(self):
        return self.agency.code if self.agency_id else ""

    @property
    def is_finalised(self):
        return self.status == ProjectStatus.FINALISED

    @property
    def results_may_be_public(self):
        """Approved results of this project are public (finalised, or terminated with eligible costs)."""
        return self.status in RESULTS_PUBLIC_STATUSES

    @property
    def is_terminated(self):
        return self.status in TERMINATED_STATUSES

    @property
    def is_locked(self):
        """Locked for the coordinator while the National Agency reviews the results."""
        return self.results_status == ResultsStatus.UNDER_REVIEW


class CardOrganisation(AuditedModel):
    """A participating organisation as shown on the card: its public fields only.

    Filled from the Organisation row when one is linked (and kept in sync with it); copied from the
    source data for historical projects that have no Organisation rows.
    """

    class Role(models.TextChoices):
        COORDINATOR = "coordinator", _("Coordinator")
        PARTNER = "partner", _("Partner")

    card = models.ForeignKey(ProjectCard, on_delete=models.CASCADE, related_name="organisations")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    organisation = models.ForeignKey("organisations.Organisation", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="card_entries")
    oid = models.CharField(_("organisation ID (OID)"), max_length=16, blank=True, db_index=True)
    name = models.CharField(_("name"), max_length=500)
    organisation_type = models.CharField(_("organisation type"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=500, blank=True)
    region = models.CharField(_("region"), max_length=200, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True, db_index=True)
    website = models.CharField(_("website"), max_length=500, blank=True)

    class Meta:
        ordering = ["card", "order"]
        verbose_name = _("participating organisation")
        verbose_name_plural = _("participating organisations")

    def __str__(self):
        return f"{self.name} ({self.get_role_display()})"

    @property
    def audit_agency_code(self):
        return self.card.audit_agency_code

    @property
    def page_key(self):
        """What the public organisation page is addressed by: the OID when known, else the row id."""
        return self.oid or str(self.pk)

    @property
    def type_display(self):
        from eplus.organisations.models import OrganisationType

        return dict(OrganisationType.choices).get(self.organisation_type, self.organisation_type)


class Contact(AuditedModel, TimeStampedModel):
    """A contact person of the project: hidden until the beneficiary publishes it."""

    card = models.ForeignKey(ProjectCard, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail address"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    published = models.BooleanField(_("show publicly"), default=False)

    audit_status_field = "published"

    class Meta:
        ordering = ["card", "name", "pk"]
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")

    def __str__(self):
        return self.name

    @property
    def audit_agency_code(self):
        return self.card.audit_agency_code


class Result(AuditedModel, TimeStampedModel):
    card = models.ForeignKey(ProjectCard, on_delete=models.CASCADE, related_name="results")
    title = models.CharField(_("title"), max_length=300)
    result_type = models.CharField(_("type of result"), max_length=32, choices=ResultType.choices)
    description_en = models.TextField(_("description (English)"))
    link = models.URLField(_("link"), blank=True, max_length=500)
    public = models.BooleanField(_("publish this result"), default=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, db_index=True)

    audit_status_field = "public"

    class Meta:
        ordering = ["card", "created_at", "pk"]
        verbose_name = _("result")
        verbose_name_plural = _("results")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("results:result", args=[self.card.identifier, self.pk])

    @property
    def audit_agency_code(self):
        return self.card.audit_agency_code


def result_file_path(instance, filename):
    return f"results/files/{instance.result.card_id}/{instance.result_id}/{filename}"


class ResultFile(AuditedModel, TimeStampedModel):
    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(_("file"), upload_to=result_file_path, max_length=400)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content_type = models.CharField(_("content type"), max_length=120)

    class Meta:
        ordering = ["result", "pk"]
        verbose_name = _("result file")
        verbose_name_plural = _("result files")

    def __str__(self):
        return self.original_name

    @property
    def audit_agency_code(self):
        return self.result.card.audit_agency_code


class ReviewEvent(AuditedModel):
    """One step of the results review: submitted, returned (with the agency's comment), approved."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted for review")
        RETURNED = "returned", _("Returned with comments")
        APPROVED = "approved", _("Approved")

    card = models.ForeignKey(ProjectCard, on_delete=models.CASCADE, related_name="review_events")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    comment = models.TextField(_("comment"), blank=True)
    # On submission: the submitted results as JSON and the SHA-256 of its canonical form (immutable).
    snapshot = models.JSONField(_("submitted results"), default=dict, blank=True)
    snapshot_sha256 = models.CharField(_("SHA-256 of the submitted results"), max_length=64, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    audit_status_field = "kind"

    class Meta:
        ordering = ["card", "created_at", "pk"]
        verbose_name = _("review event")
        verbose_name_plural = _("review events")

    def __str__(self):
        return f"{self.card.identifier}: {self.kind}"

    @property
    def audit_agency_code(self):
        return self.card.audit_agency_code


class SearchRow(models.Model):
    """The search index of ONE public card (denormalised, public data only; eplus.results.search).

    A row exists only while the card is public; it is rewritten on every publish event
    (services.reindex). ``countries`` and ``result_types`` are the card's distinct participating
    countries and the types of its PUBLIC results; ``vector`` is built from the public search text.
    """

    card = models.OneToOneField(ProjectCard, primary_key=True, on_delete=models.CASCADE, related_name="search_row")
    identifier = models.CharField(max_length=64)
    call_year = models.PositiveSmallIntegerField(null=True)
    action = models.CharField(max_length=40, blank=True)
    sector = models.CharField(max_length=3, blank=True)
    status = models.CharField(max_length=24)  # as long as ProjectCard.status ("terminated-without-costs")
    good_practice = models.BooleanField(default=False)
    success_story = models.BooleanField(default=False)
    countries = models.JSONField(default=list)
    result_types = models.JSONField(default=list)
    vector = SearchVectorField(null=True)

    # PostgreSQL also has the ordering index (call_year DESC NULLS LAST, identifier): migration 0006.

    def __str__(self):
        return self.identifier


class FrequentTerm(models.Model):
    """A search lexeme found in a large share of public cards: its facet counts are kept up to date in
    FacetCount (so broad searches need not count hundreds of thousands of rows)."""

    term = models.CharField(max_length=100, primary_key=True)

    def __str__(self):
        return self.term


class FacetCount(models.Model):
    """Exact facet counts of the public cards matching ``term`` ("" = every public card), maintained on
    every publish event together with SearchRow. facet "_total" holds the number of cards."""

    term = models.CharField(max_length=100)
    facet = models.CharField(max_length=20)
    value = models.CharField(max_length=40)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["term", "facet", "value"], name="results_facetcount_unique")]

    def __str__(self):
        return f"{self.term}:{self.facet}={self.value}:{self.n}"


class SearchIndexVersion(models.Model):
    """One row (id 1): the version of the search index, for the in-process facet engine
    (eplus.results.facets). ``version`` takes a fresh value from a sequence (never reused, even after a
    rollback) in every transaction that changes a search row; ``full_version`` is the version of the last
    bulk change (rebuild, new frequent terms) after which every process reloads everything."""

    version = models.BigIntegerField(default=0)
    full_version = models.BigIntegerField(default=0)


class SearchIndexChange(models.Model):
    """The card whose search row changed at ``version`` (the engines re-read just those cards)."""

    version = models.BigIntegerField(db_index=True)
    card_id = models.BigIntegerField()


class SearchPosting(models.Model):
    """The public cards whose search row has the lexeme ``term`` (PostgreSQL; eplus.results.facets): their
    ids, sorted, as big-endian int64 bytes — one indexed row read instead of a GIN match that visits every
    matching heap row. Kept for every lexeme that is NOT a FrequentTerm (those are bitsets in memory);
    rewritten with the search rows (index.index_card) and rebuilt with the frequent terms."""

    term = models.TextField(primary_key=True)
    cards = models.BinaryField(default=b"")

    def __str__(self):
        return self.term


class OpenDataFile(models.Model):
    """The built full export of the public projection in one format (eplus.results.opendata_files):
    served as a stored file, because computing 300 000 rows takes longer than a request may."""

    format = models.CharField(max_length=8, unique=True)
    file = models.FileField(upload_to="opendata/", max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    rows = models.PositiveIntegerField()
    changed_at = models.DateTimeField(help_text="When the content last changed (the file's Last-Modified).")
    built_at = models.DateTimeField()
    public_version = models.BigIntegerField(help_text="The public cache version the build read (page_cache).")

    def __str__(self):
        return f"{self.format}: {self.rows} rows, {self.changed_at:%Y-%m-%d %H:%M}"


def _feed_token():
    import secrets

    return secrets.token_urlsafe(32)


class SavedSearch(AuditedModel, TimeStampedModel):
    """A signed-in user's saved public search (the text and the facet filters, as the search page has them),
    with its e-mail digest (eplus.results.alerts) and its Atom feed reached through ``feed_token``.

    ``seen_until`` is the high-water mark: the digest reports the public cards and results published after
    it, then moves it to the end of the period it reported, so nothing is sent twice."""

    class Frequency(models.TextChoices):
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly")
        NEVER = "never", _("No e-mails")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches")
    name = models.CharField(_("name"), max_length=120)
    query = models.CharField(_("search text"), max_length=300, blank=True)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    frequency = models.CharField(_("e-mail frequency"), max_length=8, choices=Frequency.choices,
                                 default=Frequency.WEEKLY)
    feed_token = models.CharField(max_length=64, unique=True, default=_feed_token, editable=False)
    seen_until = models.DateTimeField(_("reported up to"))
    checked_at = models.DateTimeField(_("digest period started at"))
    last_sent_at = models.DateTimeField(_("last digest sent at"), null=True, blank=True)

    audit_status_field = "frequency"
    # The digest's bookkeeping, moved on every sweep that finds the search due: sending a digest is audited.
    audit_exclude = ("updated_at", "version", "seen_until", "checked_at")

    class Meta:
        ordering = ["user", "name", "pk"]
        verbose_name = _("saved search")
        verbose_name_plural = _("saved searches")
        indexes = [models.Index(fields=["frequency", "checked_at"], name="results_saved_due")]

    def __str__(self):
        return self.name


class LinkCheck(models.Model):
    """The last check of one public link by the sweep (eplus.results.links): ``target`` names what holds it
    ("card:<pk>" for a project's website, "result:<pk>" for a result's link). Being found broken and found
    again are audit events; this row keeps only the latest state."""

    target = models.CharField(max_length=40, unique=True)
    card = models.ForeignKey(ProjectCard, on_delete=models.CASCADE, related_name="link_checks")
    result = models.ForeignKey(Result, null=True, blank=True, on_delete=models.CASCADE, related_name="link_checks")
    url = models.URLField(_("link"), max_length=500)
    checked_at = models.DateTimeField(_("checked at"))
    status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    problem = models.CharField(_("problem"), max_length=200, blank=True)
    broken_since = models.DateField(_("reported broken on"), null=True, blank=True)

    class Meta:
        verbose_name = _("link check")
        verbose_name_plural = _("link checks")
        indexes = [models.Index(fields=["card", "broken_since"], name="results_link_broken")]

    def __str__(self):
        return f"{self.target} {self.url}"

    @property
    def audit_agency_code(self):
        return self.card.agency.code if self.card.agency_id else ""


class RemovedResult(models.Model):
    """A result deleted or hidden after its publication: its public address says so, with the date."""

    card = models.ForeignKey(ProjectCard, on_delete=models.CASCADE, related_name="removed_results")
    result_id = models.PositiveBigIntegerField()
    title = models.CharField(_("title"), max_length=300)
    removed_at = models.DateTimeField(_("removed at"))

    class Meta:
        verbose_name = _("removed result")
        verbose_name_plural = _("removed results")
        constraints = [models.UniqueConstraint(fields=["card", "result_id"], name="uniq_removed_result")]

    def __str__(self):
        return self.title
