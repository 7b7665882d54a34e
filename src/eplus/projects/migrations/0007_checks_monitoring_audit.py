"""Checks, monitoring and audit (issue 14, item 7): desk checks, monitoring visits and audits of a project."""

import django.db.models.deletion
import eplus.core.money
import eplus.projects.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('projects', '0006_termination_procedure'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ProjectCheck',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('kind', models.CharField(choices=[('desk-check', 'Desk check'), ('monitoring-visit', 'Monitoring visit'), ('audit', 'Audit')], max_length=16, verbose_name='kind')),
                ('status', models.CharField(choices=[('planned', 'Planned'), ('done', 'Done')], default='planned', max_length=8, verbose_name='status')),
                ('planned_on', models.DateField(blank=True, null=True, verbose_name='planned for')),
                ('done_on', models.DateField(blank=True, null=True, verbose_name='done on')),
                ('report_file', models.FileField(blank=True, max_length=255, upload_to=eplus.projects.models._check_report_path, verbose_name='report')),
                ('report_name', models.CharField(blank=True, max_length=255)),
                ('report_sha256', models.CharField(blank=True, max_length=64)),
                ('report_type', models.CharField(blank=True, max_length=40)),
                ('findings', models.TextField(blank=True, verbose_name='findings')),
                ('proposed_action', models.CharField(choices=[('none', 'No action'), ('reduction', 'Grant reduction'), ('recovery', 'Recovery')], default='none', max_length=12, verbose_name='proposed action')),
                ('proposed_amount', eplus.core.money.MoneyField(blank=True, decimal_places=2, max_digits=14, null=True, verbose_name='proposed amount')),
                ('shared', models.BooleanField(default=False, verbose_name='shared with the beneficiary')),
                ('shared_on', models.DateField(blank=True, null=True, verbose_name='shared on')),
                ('answer_due', models.DateField(blank=True, null=True, verbose_name='answer due by')),
                ('beneficiary_answer', models.TextField(blank=True, verbose_name="the beneficiary's answer")),
                ('answered_at', models.DateTimeField(blank=True, null=True, verbose_name='answered at')),
                ('answered_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('project', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='checks', to='projects.project')),
            ],
            options={
                'verbose_name': 'check',
                'verbose_name_plural': 'checks',
                'ordering': ['project', '-created_at'],
            },
        ),
    ]
