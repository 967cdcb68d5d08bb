"""The funder's report laid out as tables: the one layout that the page, the XLSX and CSV files and the CLI
render. A figure is computed once (app.reports.funder) and only formatted differently by each format."""

from flask_babel import lazy_gettext as _l

from app.partners.forms import KIND_LABELS
from app.reports.funder import ANNEXES, CHANGE, DEC, INT, PCT, SIZE_CLASSES, TEXT, Change, FunderReport, Table


def _share(n: int, total: int) -> float | None:
    return round(100 * n / total, 1) if total else None


def _breakdown(key: str, title, definition, first_header, counts: dict, labels: dict | None, total: int) -> Table:
    rows = [[str(labels.get(name, name)) if labels else name, n, _share(n, total)] for name, n in counts.items()]
    return Table(key, str(title), str(definition),
                 [str(first_header), str(_l("Businesses")), str(_l("Share in %"))], [TEXT, INT, PCT], rows,
                 [str(_l("Total")), total, 100.0 if total else None])


def _changes(key: str, title, definition, lines: list[Change]) -> Table:
    rows = [[line.label, line.cases, line.mean_t0, line.mean_t1, line.mean_change] for line in lines]
    headers = [_l("Dimension"), _l("Re-checked businesses"), _l("Mean score T0"), _l("Mean score T1"),
               _l("Mean change T0→T1")]
    return Table(key, str(title), str(definition), [str(h) for h in headers], [TEXT, INT, DEC, DEC, CHANGE], rows)


SUPPORTED = _l("Businesses with a milestone in the period: a completed check (first check or re-check), an "
               "attendance at a workshop held in the period, a referral or an implemented measure. Each business "
               "is counted once, with its current size, trade and municipality.")


def tables(report: FunderReport) -> list[Table]:
    supported = report.supported
    summary = Table("summary", str(_l("Overview")), str(_l("The report's main figures for the period.")),
                    [str(_l("Figure")), str(_l("Number"))], [TEXT, INT], [
                        [str(_l("Businesses supported")), supported],
                        [str(_l("First checks (T0) completed")), report.first_checks],
                        [str(_l("Re-checks (T1) completed")), report.rechecks],
                        [str(_l("Workshops held")), report.workshops_held],
                        [str(_l("Workshop participations")), report.participations],
                        [str(_l("Referrals to partners")), report.referral_count],
                        [str(_l("Measures implemented")), report.measure_count],
                    ])
    workshop_rows = [[topic, held, n] for topic, (held, n) in report.workshops.items()]
    referral_rows = [[str(KIND_LABELS.get(kind, kind)), n, cases] for kind, (n, cases) in report.referrals.items()]
    return [
        summary,
        _breakdown("size", _l("Businesses supported by EU size class"),
                   _l("EU enterprise size classes by number of employees only: micro fewer than 10, small fewer "
                      "than 50, medium-sized fewer than 250; unknown when no number is recorded."),
                   _l("Size class"), report.by_size, SIZE_CLASSES, supported),
        _breakdown("annex", _l("Businesses supported by annex of the Trade and Crafts Code"), SUPPORTED,
                   _l("Annex"), report.by_annex, ANNEXES, supported),
        _breakdown("group", _l("Businesses supported by trade group"), SUPPORTED, _l("Trade group"),
                   report.by_group, None, supported),
        _breakdown("municipality", _l("Businesses supported by municipality"), SUPPORTED, _l("Municipality"),
                   report.by_municipality, None, supported),
        _changes("change", _l("Change from first check (T0) to re-check (T1) per dimension"),
                 _l("For each business whose re-check (T1, the latest one with the first check's questionnaire) "
                    "was completed in the period: its T1 score minus its T0 score (0 to 100 points), averaged "
                    "over the businesses with both scores."), report.changes),
        _changes("dma", _l("Change T0→T1 in the EU Digital Maturity Assessment dimensions"),
                 _l("The same businesses, with the questionnaire's dimensions mapped to the six dimensions of the "
                    "EU DMA (European Digital Innovation Hubs)."), report.dma_changes),
        Table("workshops", str(_l("Workshops held and participations by topic")),
              str(_l("Workshops that took place in the period, and the businesses' recorded attendances at them.")),
              [str(_l("Topic")), str(_l("Workshops held")), str(_l("Participations"))], [TEXT, INT, INT],
              workshop_rows, [str(_l("Total")), report.workshops_held, report.participations]),
        Table("referrals", str(_l("Referrals by kind of partner")),
              str(_l("Referrals made in the period, and how many different businesses were referred.")),
              [str(_l("Kind of partner")), str(_l("Referrals")), str(_l("Businesses referred"))], [TEXT, INT, INT],
              referral_rows, [str(_l("Total")), report.referral_count, None]),
        Table("measures", str(_l("Measures implemented by topic")),
              str(_l("Measures with the status implemented whose implementation date lies in the period.")),
              [str(_l("Topic")), str(_l("Measures"))], [TEXT, INT],
              [[topic, n] for topic, n in report.measures.items()], [str(_l("Total")), report.measure_count]),
    ]
