"""The message support reads out or sends to the employee after a diagnosis: in the
employee's language (the roster's ``language``), friendly, plain, without technical words.

It is built from the failing policies' resolutions (what the employee can do, what IT will
do) and ends with the IT support contact from ``company.yml``.
"""

from __future__ import annotations

from remoteops.models import Company, Employee
from remoteops.support.policies import SEVERITIES, policy
from remoteops.support.results import Diagnosis

DEFAULT_LANGUAGE = "de"

_TEXTS = {
    "de": {
        "hello": "Guten Tag {name},",
        "hello_anonymous": "Guten Tag,",
        "checked": "wir haben Ihren Rechner eben aus der Ferne geprüft. Das haben wir gefunden:",
        "fine": "wir haben Ihren Rechner eben aus der Ferne geprüft: Er ist in Ordnung. Sie "
        "müssen nichts tun.",
        "unchecked": "Einige Prüfungen konnten wir aus der Ferne nicht abschließen; darum "
        "kümmern wir uns, Sie müssen dafür nichts tun.",
        "again": "Sobald Ihr Rechner wieder erreichbar ist, prüfen wir ihn erneut.",
        "contact": "Bei Fragen erreichen Sie {support} unter {phone}{hours}.",
        "hours": " ({hours})",
        "bye": "Viele Grüße\n{support}",
    },
    "en": {
        "hello": "Hello {name},",
        "hello_anonymous": "Hello,",
        "checked": "we have just checked your computer remotely. This is what we found:",
        "fine": "we have just checked your computer remotely: it is in good order. There is "
        "nothing you need to do.",
        "unchecked": "Some checks could not be completed remotely; we are taking care of that, "
        "there is nothing you need to do.",
        "again": "As soon as your computer can be reached again, we will check it again.",
        "contact": "If you have questions, you can reach {support} on {phone}{hours}.",
        "hours": " ({hours})",
        "bye": "Kind regards\n{support}",
    },
}


def message_language(employee: Employee | None) -> str:
    """The employee's language, or German when the workstation has no employee in the roster."""
    if employee is not None and employee.language in _TEXTS:
        return employee.language
    return DEFAULT_LANGUAGE


def employee_message(
    diagnosis: Diagnosis, employee: Employee | None, company: Company, language: str
) -> str:
    """The message for the employee about ``diagnosis``, in ``language`` (de or en)."""
    words = _TEXTS[language]
    support = company.details.it_support
    lines = [
        words["hello"].format(name=employee.full_name) if employee else words["hello_anonymous"],
        "",
    ]
    if not diagnosis.reachable:
        lines += [policy("reachable").resolution[language], "", words["again"]]
    else:
        failing = sorted(diagnosis.failing, key=lambda r: SEVERITIES.index(r.severity))
        if failing:
            lines.append(words["checked"])
            seen: list[str] = []
            for result in failing:
                text = policy(result.policy).resolution[language]
                if text not in seen:
                    seen.append(text)
                    lines.append(f"- {text}")
        else:
            lines.append(words["fine"])
        if diagnosis.errors:
            lines += ["", words["unchecked"]]
    hours = words["hours"].format(hours=company.details.it_support_hours)
    lines += [
        "",
        words["contact"].format(
            support=support.name,
            phone=support.phone or support.email,
            hours=hours if company.details.it_support_hours else "",
        ),
        "",
        words["bye"].format(support=support.name),
    ]
    return "\n".join(lines)
