"""Facts the playbook takes from the company rather than from Ansible variables."""

from __future__ import annotations

from remoteops.models import Company


def company_support_vars(company: Company) -> dict[str, str]:
    """The support contact shown on every workstation (motd, login screen), from
    ``company.yml``, as extra variables for :func:`~remoteops.provision.run_playbook`.

    Keeping them in company.yml means the phone number lives in one place.
    """
    details = company.details
    return {
        "wks_base_company_name": details.legal_name,
        "wks_base_support_name": details.it_support.name,
        "wks_base_support_phone": details.it_support.phone,
        "wks_base_support_email": details.it_support.email,
        "wks_base_support_hours": details.it_support_hours,
    }
