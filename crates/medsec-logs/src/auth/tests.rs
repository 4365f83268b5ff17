//! Authentication sentences of sshd, PAM, su, sudo and login, as the
//! OpenSSH and Linux logs of loghub and current distributions write them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

use super::*;
use crate::testing::{lines, render};

/// Decodes `input`; `expect` is empty when it is not recognised.
fn check(input: &str, expect: &str) {
    let mut draft = Draft::new();
    let recognised = decode(input, &mut draft);
    assert_eq!(recognised, !expect.trim().is_empty(), "{input}");
    crate::testing::assert_documented(&draft.fields);
    assert_eq!(render(&draft.fields), lines(expect), "{input}");
}

#[test]
fn sshd() {
    check(
        "Accepted password for fztu from 119.137.62.142 port 49116 ssh2",
        "event.action=ssh_login
         event.outcome=success
         system.auth.ssh.method=password
         user.name=fztu
         source.ip:ip=119.137.62.142
         source.port:int=49116
         event.category=authentication",
    );
    check(
        "Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2",
        "event.action=ssh_login
         event.outcome=failure
         system.auth.ssh.method=password
         user.name=webmaster
         source.ip:ip=173.234.31.186
         source.port:int=38926
         event.category=authentication",
    );
    check(
        "Accepted publickey for root from 2001:db8::5 port 50022 ssh2: ED25519 SHA256:abc",
        "event.action=ssh_login
         event.outcome=success
         system.auth.ssh.method=publickey
         user.name=root
         source.ip:ip=2001:db8::5
         source.port:int=50022
         event.category=authentication",
    );
    check(
        "Invalid user webmaster from 173.234.31.186",
        "event.action=invalid_user
         event.outcome=failure
         user.name=webmaster
         source.ip:ip=173.234.31.186
         event.category=authentication",
    );
    check(
        "Invalid user admin from 203.0.113.9 port 41234",
        "event.action=invalid_user
         event.outcome=failure
         user.name=admin
         source.ip:ip=203.0.113.9
         source.port:int=41234
         event.category=authentication",
    );
    check(
        "input_userauth_request: invalid user webmaster [preauth]",
        "event.action=invalid_user
         event.outcome=failure
         user.name=webmaster
         event.category=authentication",
    );
    check(
        "error: maximum authentication attempts exceeded for root from 112.95.230.3 port 46327 ssh2 [preauth]",
        "event.action=too_many_failures
         event.outcome=failure
         user.name=root
         source.ip:ip=112.95.230.3
         source.port:int=46327
         event.category=authentication",
    );
    check(
        "Connection closed by 173.234.31.186 [preauth]",
        "event.action=connection_closed
         source.ip:ip=173.234.31.186
         event.category=authentication",
    );
    check(
        "Connection closed by authenticating user root 203.0.113.9 port 41234 [preauth]",
        "event.action=connection_closed
         user.name=root
         source.ip:ip=203.0.113.9
         source.port:int=41234
         event.category=authentication",
    );
    check(
        "Received disconnect from 112.95.230.3: 11: Bye Bye [preauth]",
        "event.action=disconnect
         source.ip:ip=112.95.230.3
         event.category=authentication",
    );
    check(
        "reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!",
        "event.action=reverse_mapping_failed
         source.domain=ns.marryaldkfaczcz.com
         source.ip:ip=173.234.31.186
         event.category=authentication",
    );
    check("Server listening on 0.0.0.0 port 22.", "");
}

#[test]
fn pam_su_sudo_login() {
    check(
        "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ",
        "event.action=authentication_failure
         event.outcome=failure
         source.ip:ip=218.188.2.4
         event.category=authentication",
    );
    check(
        "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=183.62.140.253  user=root",
        "event.action=authentication_failure
         event.outcome=failure
         source.ip:ip=183.62.140.253
         user.name=root
         event.category=authentication",
    );
    check(
        "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=p5099a6a4.dip.t-dialin.net  user=root",
        "event.action=authentication_failure
         event.outcome=failure
         source.domain=p5099a6a4.dip.t-dialin.net
         user.name=root
         event.category=authentication",
    );
    check(
        "PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=112.95.230.3  user=root",
        "event.action=authentication_failure
         event.outcome=failure
         source.ip:ip=112.95.230.3
         user.name=root
         event.category=authentication",
    );
    check(
        "check pass; user unknown",
        "event.action=authentication_failure
         event.outcome=failure
         event.category=authentication",
    );
    check(
        "session opened for user cyrus by (uid=0)",
        "event.action=session_opened
         event.outcome=success
         user.name=cyrus
         event.category=authentication",
    );
    check(
        "pam_unix(sshd:session): session opened for user root(uid=0) by (uid=0)",
        "event.action=session_opened
         event.outcome=success
         user.name=root
         event.category=authentication",
    );
    check(
        "session closed for user news",
        "event.action=session_closed
         event.outcome=success
         user.name=news
         event.category=authentication",
    );
    check(
        "kim : TTY=pts/0 ; PWD=/home/kim ; USER=root ; COMMAND=/usr/bin/systemctl restart emr",
        "event.action=sudo_command
         event.outcome=success
         user.name=kim
         system.auth.sudo.tty=pts/0
         system.auth.sudo.pwd=/home/kim
         user.effective.name=root
         process.command_line=/usr/bin/systemctl restart emr
         event.category=authentication",
    );
    check(
        "lee : user NOT in sudoers ; TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/bin/sh",
        "event.action=sudo_command
         event.outcome=failure
         user.name=lee
         system.auth.sudo.tty=pts/1
         system.auth.sudo.pwd=/tmp
         user.effective.name=root
         process.command_line=/bin/sh
         event.category=authentication",
    );
    check(
        "FAILED su for root by kim",
        "event.action=su
         event.outcome=failure
         user.effective.name=root
         user.name=kim
         event.category=authentication",
    );
    check(
        "ROOT LOGIN ON tty2",
        "event.action=login
         event.outcome=success
         user.name=root
         event.category=authentication",
    );
    check(
        "FAILED LOGIN 1 FROM (null) FOR root, Authentication failure",
        "event.action=login
         event.outcome=failure
         user.name=root
         event.category=authentication",
    );
    assert!(is_auth_program("sshd(pam_unix)"));
    assert!(is_auth_program("su"));
    assert!(!is_auth_program("kernel"));
}

proptest! {
    #[test]
    fn never_panics(s in "\\PC{0,200}", prefix in prop_oneof![
        Just(""), Just("Accepted "), Just("Failed password for "), Just("Invalid user "),
        Just("Connection closed by "), Just("authentication failure; "), Just("PAM "),
        Just("x : "), Just("FAILED LOGIN "), Just("reverse mapping checking getaddrinfo for "),
    ]) {
        let mut draft = Draft::new();
        decode(&format!("{prefix}{s}"), &mut draft);
    }
}
