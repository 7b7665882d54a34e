"""Termination procedure (issue 14, item 4): the statuses "terminated with / without eligible costs" and the
termination record (request or notice, observations, confirmation, effect on the grant).

Existing rows with the old key "terminated" (the one-step termination of before) are left on it: "terminated" stays
a valid, labelled choice that TERMINATED_STATUSES handles (closed, no reminders, results not public, no final
report to submit). They are not reclassified, because the old termination decided neither outcome: calling one
"terminated-with-costs" would make its approved results public, re-open its old draft final report (and a balance
years later) and restart the reminders; "terminated-without-costs" would claim a recovery nobody decided. The
agency can reclassify a legacy termination one by one through the procedure. The forward data step therefore changes
nothing; reversing the migration moves rows that took the new keys (since) back to "terminated", the only key
the earlier schema knows.
"""

import django.db.models.deletion
import eplus.core.money
from django.conf import settings
from django.db import migrations, models

NEW = ("terminated-with-costs", "terminated-without-costs")


def split_terminated(apps, schema_editor):
    """Nothing to do: legacy "terminated" rows keep their still-valid key (see the module's docstring)."""


def join_terminated(apps, schema_editor):
    Project = apps.get_model("projects", "Project")
    ProjectCard = apps.get_model("results", "ProjectCard")
    for project in Project.objects.filter(status__in=NEW):
        ProjectCard.objects.filter(identifier=project.number, status__in=NEW).update(status="terminated")
    Project.objects.filter(status__in=NEW).update(status="terminated")


class Migration(migrations.Migration):

    dependencies = [
        ('projects', '0005_report_documents'),
        ('results', '0016_termination_statuses'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='project',
            name='status',
            field=models.CharField(choices=[('ongoing', 'Ongoing'), ('final-report-awaited', 'Final report awaiting submission'), ('final-report-submitted', 'Final report submitted'), ('finalised', 'Finalised'), ('terminated', 'Terminated'), ('terminated-with-costs', 'Terminated with eligible costs'), ('terminated-without-costs', 'Terminated without eligible costs')], db_index=True, default='ongoing', max_length=24, verbose_name='status'),
        ),
        migrations.CreateModel(
            name='Termination',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('origin', models.CharField(choices=[('request', 'Requested by the beneficiary'), ('notice', 'Notice by the agency')], max_length=8, verbose_name='initiated by')),
                ('status', models.CharField(choices=[('requested', 'Requested by the beneficiary'), ('notified', 'Notice sent, observations awaited'), ('confirmed', 'Confirmed'), ('rejected', 'Rejected'), ('withdrawn', 'Notice withdrawn')], max_length=12, verbose_name='status')),
                ('reason', models.TextField(verbose_name='reason for the termination')),
                ('requested_effective_date', models.DateField(blank=True, null=True, verbose_name='requested effective date')),
                ('notified_on', models.DateField(blank=True, null=True, verbose_name='notice sent on')),
                ('observations_due', models.DateField(blank=True, null=True, verbose_name='observations due by')),
                ('observations', models.TextField(blank=True, verbose_name="the beneficiary's observations")),
                ('observations_at', models.DateTimeField(blank=True, null=True, verbose_name='observations sent at')),
                ('beneficiary_agrees', models.BooleanField(default=False, verbose_name='the beneficiary agrees to the termination')),
                ('outcome', models.CharField(blank=True, choices=[('with-costs', 'With eligible costs: activities were implemented'), ('without-costs', 'Without eligible costs: final grant 0, everything paid is recovered')], max_length=16, verbose_name='effect on the grant')),
                ('effective_date', models.DateField(blank=True, null=True, verbose_name='takes effect on')),
                ('final_report_due', models.DateField(blank=True, null=True, verbose_name='final report due')),
                ('paid_at_termination', eplus.core.money.MoneyField(blank=True, decimal_places=2, max_digits=14, null=True, verbose_name='paid when terminated')),
                ('final_grant', eplus.core.money.MoneyField(blank=True, decimal_places=2, max_digits=14, null=True, verbose_name='final grant')),
                ('recovery_amount', eplus.core.money.MoneyField(blank=True, decimal_places=2, max_digits=14, null=True, verbose_name='amount to recover')),
                ('decision_reason', models.TextField(blank=True, verbose_name="the agency's decision")),
                ('decided_at', models.DateTimeField(blank=True, null=True)),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('opened_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('project', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='terminations', to='projects.project')),
            ],
            options={
                'verbose_name': 'termination',
                'verbose_name_plural': 'terminations',
                'ordering': ['project', '-created_at'],
            },
        ),
        migrations.AddConstraint(
            model_name='termination',
            constraint=models.UniqueConstraint(condition=models.Q(('status__in', ['requested', 'notified'])), fields=('project',), name='uniq_open_termination'),
        ),
        migrations.RunPython(split_terminated, join_terminated),
    ]
