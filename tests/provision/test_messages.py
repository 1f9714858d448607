"""Ansible's failure messages in plain words."""

from remoteops.provision.messages import ansible_errors, failure_message, unreachable_message


def test_unreachable_messages_say_what_to_check():
    refused = {
        "msg": "Failed to connect to the host via ssh: ssh: connect to host 127.0.0.1 "
        "port 2222: Connection refused"
    }
    assert unreachable_message(refused) == (
        "Unreachable: nothing answers on its SSH port (is sshd running?)."
    )
    key = {"msg": "Host key verification failed.\r\n"}
    assert "host key is unknown or has changed" in unreachable_message(key)
    denied = {"msg": "itadmin@10.20.1.5: Permission denied (publickey)."}
    assert unreachable_message(denied) == "Unreachable: it refused the admin's SSH key."


def test_unknown_unreachable_message_keeps_ansibles_first_line():
    assert unreachable_message({"msg": "strange thing\nsecond line"}) == (
        "Unreachable: strange thing"
    )


def test_failure_message_adds_stderr_to_generic_messages():
    result = {"msg": "failed to validate", "stderr": "\nsshd: bad option Frobnicate\nmore"}
    assert failure_message(result) == "Failed to validate: sshd: bad option Frobnicate"
    assert failure_message({"msg": "Destination /etc/x does not exist"}) == (
        "Destination /etc/x does not exist"
    )


def test_failure_message_of_a_no_log_task_says_why_it_is_hidden():
    result = {
        "msg": "the output has been hidden due to the fact that 'no_log: true' was specified "
        "for this result",
        "censored": "the output has been hidden ...",
    }
    assert "hidden because it handles a secret" in failure_message(result)


def test_failure_message_without_text_uses_the_exit_code():
    assert failure_message({"rc": 3}) == "The command ended with exit code 3"


def test_ansible_errors_finds_both_styles():
    output = "PLAY\n[ERROR]: Attempting to decrypt but no vault secrets found\nERROR! bad\n"
    assert ansible_errors(output) == ["Attempting to decrypt but no vault secrets found", "bad"]
