"""The support rota: who covers phone, chat, tickets, triage and IT on-call, and when.

- :mod:`remoteops.rota.settings`: channels, shift patterns, people, absences, rules (the
  domain objects of ``inventory/rota.yml``) and :class:`~remoteops.rota.settings.Duty`.
- :mod:`remoteops.rota.loading`: reads and cross-validates ``rota.yml`` and the absences CSV.
- :mod:`remoteops.rota.rules`: every rule as one function, in one list for planning and
  checking (ArbZG, the works agreement, coverage, fairness, wishes).
- :mod:`remoteops.rota.board`: what the rules work on (an option: a person on a channel for
  a shift on a day), and the checking board.
- :mod:`remoteops.rota.model`: the CP-SAT model (the only module that imports OR-Tools).
- :mod:`remoteops.rota.check`: a rota checked against every rule: violations, gaps,
  coverage, fairness.

None of these import OR-Tools, WeasyPrint or icalendar at import time.
"""
