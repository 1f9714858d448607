"""The support policies as data: what each one asks, how serious a failure is, what the
employee reads about it (German and English) and which repair support should run.

Modelled on Fleet's policies and Intune's compliance settings: a policy is a yes/no question
with a severity and a ``resolution`` for the person who has to act. The answers come from
:mod:`remoteops.support.checks`, which judges the raw facts ``playbooks/diagnose.yml``
gathers; the limits they are judged against are :class:`Limits` (inventory settings).

The employee texts are plain and friendly: no commands, no tool or package names.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from remoteops.support.repairs import ACTIONS

SEVERITIES = ("high", "medium", "low")
STATUSES = ("pass", "fail", "error")

#: Repair actions support can run (``remoteops support repair HOST ACTION``): the ids of the
#: repair catalogue in :mod:`remoteops.support.repairs`, which says what each one does.
REPAIR_ACTIONS = tuple(action.id for action in ACTIONS)


@dataclass(frozen=True)
class Limits:
    """What the policies are judged against. The values come with each diagnosis from the
    inventory (Ansible variables ``wks_diagnose_*``, per group or host); these defaults are
    the role's own (``playbooks/roles/wks_diagnose/defaults/main.yml``; a test keeps them
    equal) and apply when a diagnosis does not report a limit."""

    disk_max_percent: int = 90
    vpn_max_handshake_age: int = 300  # seconds
    updates_max_age_days: int = 7
    screen_lock_max_idle_seconds: int = 900

    @classmethod
    def from_findings(cls, reported: object) -> Limits:
        """The limits a diagnosis reports (``findings['limits']``); a missing or unreadable
        value keeps its default."""
        values = {}
        if isinstance(reported, dict):
            for f in fields(cls):
                try:
                    values[f.name] = int(reported[f.name])
                except (KeyError, TypeError, ValueError):
                    continue
        return cls(**values)


@dataclass(frozen=True)
class Policy:
    """One check of a workstation, as support and the employee see it."""

    id: str
    title: str  # short name for support: "Disk space"
    severity: str  # one of SEVERITIES
    question: str  # the yes/no question it answers
    failing: str  # what fails, for the fleet view; may use {limits} fields
    resolution: dict[str, str]  # language -> what the employee can do / what IT will do
    repair: str | None = None  # the repair support should run (one of REPAIR_ACTIONS)

    def failing_text(self, limits: Limits) -> str:
        """What fails, with the limits filled in ("security updates older than 7 days")."""
        return _fill(self.failing, limits)

    def question_text(self, limits: Limits) -> str:
        return _fill(self.question, limits)


def _fill(text: str, limits: Limits) -> str:
    return text.format(**{f.name: getattr(limits, f.name) for f in fields(limits)})


POLICIES: tuple[Policy, ...] = (
    Policy(
        id="reachable",
        title="Reachable",
        severity="high",
        question="Can support reach the workstation over the network?",
        failing="workstations support cannot reach",
        resolution={
            "de": "Wir können Ihren Rechner gerade nicht erreichen. Bitte prüfen Sie: Ist der "
            "Rechner eingeschaltet und läuft er (nicht im Ruhezustand)? Steckt das Netzwerkkabel "
            "fest, oder ist das WLAN verbunden? Zeigt das VPN-Symbol unten rechts eine "
            "bestehende Verbindung? Wenn ja und es trotzdem nicht geht, starten Sie bitte Ihren "
            "Internet-Router neu.",
            "en": "We cannot reach your computer at the moment. Please check: is the computer "
            "switched on and awake (not asleep)? Is the network cable plugged in firmly, or is "
            "the Wi-Fi connected? Does the VPN icon in the bottom right show a connection? If "
            "all of that looks right and it still does not work, please restart your internet "
            "router.",
        },
    ),
    Policy(
        id="vpn",
        title="VPN",
        severity="high",
        question="Is the VPN to the company set up, connected, and has it spoken to the "
        "company recently?",
        failing="VPN not connected, not set up or silent for more than "
        "{vpn_max_handshake_age} seconds",
        resolution={
            "de": "Die sichere Verbindung (VPN) zum Firmennetz steht nicht. Wir stellen sie "
            "aus der Ferne wieder her; Sie müssen dafür nichts tun. Bitte lassen Sie den Rechner "
            "eingeschaltet.",
            "en": "The secure connection (VPN) to the company network is down. We are "
            "restoring it remotely; there is nothing you need to do. Please leave the computer "
            "switched on.",
        },
        repair="restart-vpn",
    ),
    Policy(
        id="dns",
        title="Company names",
        severity="high",
        question="Do the company's server names (VPN, time servers) resolve on the home network?",
        failing="company server names that do not resolve",
        resolution={
            "de": "Ihr Internetanschluss findet die Server der Firma nicht. Bitte starten Sie "
            "Ihren Internet-Router neu (Stecker für 30 Sekunden ziehen) und danach den Rechner. "
            "Hilft das nicht, melden Sie sich bitte wieder bei uns.",
            "en": "Your internet connection cannot find the company's servers. Please restart "
            "your internet router (unplug it for 30 seconds), then restart the computer. If "
            "that does not help, please get back to us.",
        },
    ),
    Policy(
        id="clock",
        title="Clock",
        severity="medium",
        question="Is the clock synchronised with the company's time servers?",
        failing="clocks that are not synchronised",
        resolution={
            "de": "Die Uhr Ihres Rechners geht nicht genau. Wir stellen sie aus der Ferne; "
            "Sie müssen nichts tun.",
            "en": "Your computer's clock is not exact. We are setting it remotely; there is "
            "nothing you need to do.",
        },
        repair="resync-clock",
    ),
    Policy(
        id="disk",
        title="Disk space",
        severity="medium",
        question="Is every file system at most {disk_max_percent} % full?",
        failing="file systems fuller than {disk_max_percent} %",
        resolution={
            "de": "Der Speicher Ihres Rechners ist fast voll. Wir räumen aus der Ferne "
            "temporäre Dateien auf; Ihre eigenen Dateien bleiben unberührt. Wenn Sie mögen, "
            "leeren Sie bitte den Papierkorb und den Ordner „Downloads“.",
            "en": "Your computer's storage is almost full. We are clearing temporary files "
            "remotely; your own files stay untouched. If you like, please empty the wastebasket "
            "and the Downloads folder.",
        },
        repair="free-disk",
    ),
    Policy(
        id="security-updates",
        title="Security updates",
        severity="high",
        question="Are security updates installed within {updates_max_age_days} days, and "
        "does the workstation look for them?",
        failing="security updates older than {updates_max_age_days} days",
        resolution={
            "de": "Auf Ihrem Rechner fehlen wichtige Sicherheitsupdates. Wir spielen sie aus "
            "der Ferne ein; Sie können dabei weiterarbeiten. Falls danach ein Neustart nötig "
            "ist, sagen wir Ihnen Bescheid.",
            "en": "Important security updates are missing on your computer. We are installing "
            "them remotely; you can keep working meanwhile. If a restart is needed afterwards, "
            "we will let you know.",
        },
        repair="install-updates",
    ),
    Policy(
        id="packages",
        title="Unfinished installations",
        severity="medium",
        question="Are all installed programs completely set up (none left half-installed)?",
        failing="programs left half-installed",
        resolution={
            "de": "Eine Programminstallation wurde unterbrochen, vermutlich durch Ausschalten "
            "während eines Updates. Wir schließen sie aus der Ferne ab. Bitte schalten Sie den "
            "Rechner während Updates nicht aus.",
            "en": "A program installation was interrupted, probably by switching off during an "
            "update. We are finishing it remotely. Please do not switch the computer off while "
            "it is updating.",
        },
        repair="install-updates",
    ),
    Policy(
        id="reboot",
        title="Restart pending",
        severity="medium",
        question="Is the workstation free of a pending restart after updates?",
        failing="restarts pending after updates",
        resolution={
            "de": "Ihr Rechner muss nach Updates neu gestartet werden, damit sie wirken. Bitte "
            "speichern Sie Ihre Arbeit und starten Sie den Rechner nach Ihrem nächsten Gespräch "
            "neu, oder sagen Sie uns, wann wir das für Sie tun dürfen.",
            "en": "Your computer needs a restart for its updates to take effect. Please save "
            "your work and restart after your next call, or tell us when we may do it for you.",
        },
        repair="reboot",
    ),
    Policy(
        id="firewall",
        title="Firewall",
        severity="high",
        question="Is the firewall set to block incoming connections, loaded at start-up and "
        "active?",
        failing="firewalls not active",
        resolution={
            "de": "Der Schutz Ihres Rechners gegen Zugriffe aus dem Internet (Firewall) ist "
            "nicht aktiv. Wir schalten ihn aus der Ferne wieder ein; Sie müssen nichts tun.",
            "en": "Your computer's protection against access from the internet (firewall) is "
            "not active. We are switching it back on remotely; there is nothing you need to do.",
        },
        repair="reapply-baseline",
    ),
    Policy(
        id="screen-lock",
        title="Screen lock",
        severity="high",
        question="Does the screen lock itself after at most {screen_lock_max_idle_seconds} "
        "seconds idle, without the user being able to switch that off?",
        failing="screens that do not lock by themselves",
        resolution={
            "de": "Die automatische Bildschirmsperre Ihres Rechners ist nicht eingestellt. Wir "
            "stellen sie aus der Ferne wieder ein. Bis dahin sperren Sie den Bildschirm bitte "
            "selbst, wenn Sie den Platz verlassen (Windows-Taste + L oder Super-Taste + L).",
            "en": "Your computer's automatic screen lock is not set. We are setting it again "
            "remotely. Until then, please lock the screen yourself whenever you leave your desk "
            "(Windows key + L or Super key + L).",
        },
        repair="reapply-baseline",
    ),
    Policy(
        id="softphone",
        title="Softphone",
        severity="high",
        question="Are the softphone and the headset tools installed?",
        failing="workstations without a complete softphone",
        resolution={
            "de": "Das Telefonprogramm auf Ihrem Rechner ist nicht vollständig. Wir "
            "installieren es aus der Ferne neu; danach melden Sie sich bitte einmal ab und "
            "wieder an.",
            "en": "The phone program on your computer is incomplete. We are reinstalling it "
            "remotely; afterwards, please sign out once and sign in again.",
        },
        repair="reapply-baseline",
    ),
    Policy(
        id="headset",
        title="Headset",
        severity="high",
        question="Is a headset (a microphone) connected?",
        failing="workstations without a headset",
        resolution={
            "de": "Ihr Rechner findet kein Headset. Bitte stecken Sie den USB-Stecker des "
            "Headsets direkt am Rechner ein (nicht an der Tastatur oder am Bildschirm), warten "
            "Sie zehn Sekunden und sagen Sie uns, ob es jetzt geht.",
            "en": "Your computer cannot find a headset. Please plug the headset's USB plug "
            "straight into the computer (not into the keyboard or the screen), wait ten "
            "seconds and tell us whether it works now.",
        },
    ),
    Policy(
        id="failed-services",
        title="Background services",
        severity="medium",
        question="Do all background services run without failures?",
        failing="workstations with failed background services",
        resolution={
            "de": "Ein Hintergrunddienst Ihres Rechners ist ausgefallen. Ein Neustart behebt "
            "das meist: Bitte speichern Sie Ihre Arbeit; wir starten den Rechner nach "
            "Absprache mit Ihnen neu.",
            "en": "A background service on your computer has stopped working. A restart "
            "usually fixes it: please save your work; we will restart the computer at a time "
            "that suits you.",
        },
        repair="reboot",
    ),
    Policy(
        id="baseline",
        title="Company settings",
        severity="medium",
        question="Are all of the company's settings still in place (nothing would change if "
        "they were applied again)?",
        failing="workstations whose company settings have drifted",
        resolution={
            "de": "Einige Firmeneinstellungen auf Ihrem Rechner wurden verändert. Wir stellen "
            "sie aus der Ferne wieder her; Sie können weiterarbeiten.",
            "en": "Some company settings on your computer have been changed. We are restoring "
            "them remotely; you can keep working.",
        },
        repair="reapply-baseline",
    ),
    Policy(
        id="remote-desktop",
        title="Remote desktop",
        severity="low",
        question="Will a remote desktop work (the desktop session is X11, not Wayland)?",
        failing="desktops a remote desktop cannot show (Wayland)",
        resolution={
            "de": "Damit wir Ihnen bei Bedarf auf den Bildschirm schauen können, melden Sie sich "
            "bitte einmal ab. Klicken Sie bei der Anmeldung auf das Zahnrad unten rechts, wählen "
            "Sie „GNOME auf Xorg“ und melden Sie sich wieder an.",
            "en": "So that we can look at your screen when you need help, please sign out once. "
            "When signing in, click the gear icon in the bottom right, choose \u201cGNOME on "
            "Xorg\u201d and sign in again.",
        },
    ),
)

_BY_ID = {p.id: p for p in POLICIES}


def policy(policy_id: str) -> Policy:
    """The policy with this id (``KeyError`` for an unknown one: a programming error)."""
    return _BY_ID[policy_id]


def policy_ids() -> tuple[str, ...]:
    return tuple(_BY_ID)
