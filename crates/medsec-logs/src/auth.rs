//! Linux authentication messages (the `auth.log`/`secure` lines of sshd,
//! PAM, su, sudo and login): logins accepted and failed, invalid users,
//! PAM authentication failures with their remote host, sessions opened
//! and closed, sudo commands. They set `event.category`
//! (`authentication`), `event.action`, `event.outcome`, `user.name`,
//! `source.ip`/`source.port` (or `source.domain`).
//!
//! The `event.action` values are `ssh_login`, `invalid_user`,
//! `authentication_failure`, `too_many_failures`, `session_opened`,
//! `session_closed`, `su`, `sudo_command`, `login`, `connection_closed`,
//! `disconnect`, `no_identification` and `reverse_mapping_failed`.
//!
//! A message from one of these programs that matches none of the known
//! sentences is not an error: it stays a plain message.

use crate::draft::Draft;

/// Whether a syslog program writes authentication messages.
pub(crate) fn is_auth_program(name: &str) -> bool {
    let base = name.split(['(', '[']).next().unwrap_or(name);
    matches!(
        base,
        "sshd"
            | "sshd-session"
            | "su"
            | "sudo"
            | "login"
            | "gdm"
            | "gdm-password"
            | "systemd-logind"
            | "unix_chkpwd"
            | "passwd"
            | "polkitd"
            | "-- root"
    )
}

/// Decodes an authentication message; returns whether it was recognised.
pub(crate) fn decode(msg: &str, draft: &mut Draft) -> bool {
    let msg = msg.trim_start();
    // `pam_unix(sshd:auth): …`, `pam_unix(su:session): …`
    let msg = match msg.split_once("): ") {
        Some((module, rest)) if module.starts_with("pam_") && !module.contains(' ') => rest,
        _ => msg,
    };
    let recognised = sshd(msg, draft) || pam(msg, draft) || other(msg, draft);
    if recognised {
        draft.str("event.category", "authentication");
    }
    recognised
}

fn set(draft: &mut Draft, action: &str, outcome: Option<&str>) {
    draft.str("event.action", action);
    if let Some(o) = outcome {
        draft.str("event.outcome", o);
    }
}

/// `IP port N…` (or just `IP`): sets the source and returns the rest
/// after the port.
fn from<'a>(draft: &mut Draft, s: &'a str) -> &'a str {
    let (host, rest) = s.split_once(' ').unwrap_or((s, ""));
    draft.ip_or("source.ip", "source.domain", host.trim_end_matches(':'));
    match rest.strip_prefix("port ") {
        Some(p) => {
            let (port, rest) = p.split_once(' ').unwrap_or((p, ""));
            draft.text("source.port", port.trim_end_matches(':'));
            rest
        }
        None => rest,
    }
}

/// A user name before ` from `, with an `invalid user ` prefix noted.
fn user_from(s: &str) -> Option<(&str, bool, &str)> {
    let (user, rest) = s.rsplit_once(" from ")?;
    let (user, invalid) = match user.strip_prefix("invalid user ") {
        Some(u) => (u, true),
        None => (user, false),
    };
    Some((user, invalid, rest))
}

fn sshd(msg: &str, d: &mut Draft) -> bool {
    let msg = msg.strip_prefix("error: ").unwrap_or(msg);
    for (prefix, outcome) in [("Accepted ", "success"), ("Failed ", "failure")] {
        if let Some(rest) = msg.strip_prefix(prefix)
            && let Some((method, rest)) = rest.split_once(" for ")
            && let Some((user, _, rest)) = user_from(rest)
        {
            set(d, "ssh_login", Some(outcome));
            d.str("system.auth.ssh.method", method);
            d.str("user.name", user);
            from(d, rest);
            return true;
        }
    }
    if let Some(rest) = msg.strip_prefix("Invalid user ")
        && let Some((user, rest)) = rest.rsplit_once(" from ")
    {
        set(d, "invalid_user", Some("failure"));
        d.str("user.name", user);
        from(d, rest);
        return true;
    }
    if let Some(rest) = msg.strip_prefix("input_userauth_request: invalid user ") {
        set(d, "invalid_user", Some("failure"));
        d.str("user.name", rest.trim_end_matches(" [preauth]"));
        return true;
    }
    if let Some(rest) = msg.strip_prefix("maximum authentication attempts exceeded for ")
        && let Some((user, _, rest)) = user_from(rest)
    {
        set(d, "too_many_failures", Some("failure"));
        d.str("user.name", user);
        from(d, rest);
        return true;
    }
    for (prefix, action) in [
        ("Connection closed by ", "connection_closed"),
        ("Received disconnect from ", "disconnect"),
        ("Disconnected from ", "disconnect"),
        (
            "Did not receive identification string from ",
            "no_identification",
        ),
    ] {
        if let Some(rest) = msg.strip_prefix(prefix) {
            set(d, action, None);
            let rest = match ["authenticating user ", "invalid user ", "user "]
                .iter()
                .find_map(|p| rest.strip_prefix(p))
            {
                Some(r) => {
                    let (user, r) = r.split_once(' ').unwrap_or((r, ""));
                    d.str("user.name", user);
                    r
                }
                None => rest,
            };
            from(d, rest);
            return true;
        }
    }
    if let Some(rest) = msg.strip_prefix("reverse mapping checking getaddrinfo for ")
        && let Some((host, rest)) = rest.split_once(" [")
        && let Some((ip, _)) = rest.split_once(']')
    {
        set(d, "reverse_mapping_failed", None);
        d.str("source.domain", host);
        d.text("source.ip", ip);
        return true;
    }
    false
}

fn pam(msg: &str, d: &mut Draft) -> bool {
    let failure = msg.strip_prefix("authentication failure; ").or_else(|| {
        let rest = msg.strip_prefix("PAM ")?;
        let (_, rest) = rest.split_once("; ")?;
        rest.starts_with("logname=").then_some(rest)
    });
    if let Some(rest) = failure {
        set(d, "authentication_failure", Some("failure"));
        for pair in rest.split_whitespace() {
            match pair.split_once('=') {
                Some(("rhost", host)) => d.ip_or("source.ip", "source.domain", host),
                Some(("user", user)) => d.str("user.name", user),
                _ => {}
            }
        }
        return true;
    }
    if msg.starts_with("check pass; user unknown") {
        set(d, "authentication_failure", Some("failure"));
        return true;
    }
    for (prefix, action) in [
        ("session opened for user ", "session_opened"),
        ("session closed for user ", "session_closed"),
    ] {
        if let Some(rest) = msg.strip_prefix(prefix) {
            set(d, action, Some("success"));
            let user = rest.split([' ', '(']).next().unwrap_or(rest);
            d.str("user.name", user);
            return true;
        }
    }
    false
}

fn other(msg: &str, d: &mut Draft) -> bool {
    // su: "FAILED su for root by kim", "Successful su for root by kim"
    for (prefix, outcome) in [
        ("FAILED su for ", "failure"),
        ("Successful su for ", "success"),
    ] {
        if let Some(rest) = msg.strip_prefix(prefix) {
            set(d, "su", Some(outcome));
            let (target, by) = rest.split_once(" by ").unwrap_or((rest, ""));
            d.str("user.effective.name", target);
            d.str("user.name", by);
            return true;
        }
    }
    // sudo: "kim : TTY=pts/0 ; PWD=/home/kim ; USER=root ; COMMAND=/bin/ls"
    if let Some((user, rest)) = msg.split_once(" : ")
        && !user.contains(' ')
        && rest.contains("COMMAND=")
    {
        let failed = rest.contains("NOT in sudoers") || rest.contains("incorrect password");
        set(
            d,
            "sudo_command",
            Some(if failed { "failure" } else { "success" }),
        );
        d.str("user.name", user);
        for part in rest.split(" ; ") {
            match part.split_once('=') {
                Some(("TTY", v)) => d.str("system.auth.sudo.tty", v),
                Some(("PWD", v)) => d.str("system.auth.sudo.pwd", v),
                Some(("USER", v)) => d.str("user.effective.name", v),
                Some(("COMMAND", v)) => d.str("process.command_line", v),
                _ => {}
            }
        }
        return true;
    }
    // login: "ROOT LOGIN ON tty2", "FAILED LOGIN 1 FROM (null) FOR root, Authentication failure"
    if msg.starts_with("ROOT LOGIN ON ") {
        set(d, "login", Some("success"));
        d.str("user.name", "root");
        return true;
    }
    if let Some(rest) = msg.strip_prefix("FAILED LOGIN ")
        && let Some((_, rest)) = rest.split_once(" FOR ")
    {
        set(d, "login", Some("failure"));
        d.str("user.name", rest.split(',').next().unwrap_or(rest));
        return true;
    }
    false
}

#[cfg(test)]
mod tests;
