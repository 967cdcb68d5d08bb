"""Data-protection rights: consent history, Art. 15 export, Art. 17 erasure, the retention rule and the Art. 30
record (the top of the package order: it reads every package's data, through its registry of tables)."""

from flask import Flask

from app.privacy import registry


def init_app(app: Flask) -> None:
    from app.cases import consents
    from app.cases import registry as case_registry
    from app.imports import cleanup
    from app.privacy import jobs, labels, tables, views
    from app.scheduling.jobs import add_job

    registry.init_app(app)
    tables.register(app)
    labels.init_app(app)
    case_registry.of(app).add_panel(case_registry.Panel(
        "privacy/_consent_panel.html", "consents-panel-heading", lambda case: consents.history(case.business_id),
        order=90))
    # Daily at night: the rule does nothing before its start day, and little after the first run.
    add_job(app, "retention", jobs.retention_job, {"trigger": "cron", "hour": 3, "minute": 30,
                                                    "timezone": "Europe/Berlin"})
    # The import's uploads and previews go when served (imports sits beside scheduling, so its job is added here).
    add_job(app, "imports-cleanup", cleanup.cleanup_job, {"trigger": "interval", "minutes": 60})
    app.register_blueprint(views.bp)
