# medsec user interface, English.
# Ids are shared with ko.ftl; a test keeps the two in step.

## Navigation and common words
nav-skip = Skip to content
nav-label = Main
nav-dashboard = Dashboard
nav-users = Users
nav-audit = Audit log
nav-organizations = Organisations
nav-settings = Security settings
nav-logout = Log out
lang-switch = 한국어
yes = Yes
no = No
never = Never
save = Save
cancel = Cancel
continue = Continue
copy = Copy
actions = Actions

## Roles, kinds, statuses, outcomes, scopes
role-admin = Administrator
role-editor = Editor
role-viewer = Viewer
role-analyst = Analyst
org-kind-manufacturer = Manufacturer / importer
org-kind-hospital = Hospital
org-kind-isac = Medical ISAC
org-kind-regulator = Regulator
status-pending = Awaiting activation
status-active = Active
status-disabled = Disabled
outcome-success = Success
outcome-failure = Failure
scope-read = Read
scope-write = Write
scope-admin = Administration
scope-metrics = Metrics (Prometheus)

## Fields
field-org-name = Organisation name
field-org-kind = Organisation kind
field-username = User ID
field-display-name = Name
field-password = Password
field-password-confirm = Repeat the password
field-current-password = Current password
field-new-password = New password
field-role = Role
field-status = Status
field-totp-code = Six-digit code
field-lockout-threshold = Failed logins before lock-out
field-lockout-minutes = Lock-out duration (minutes)
field-require-totp = Administrators must use a second factor (TOTP)
field-idle-timeout = Idle session timeout (seconds; 900 = 15 minutes)
field-session-lifetime = Maximum session length (minutes)
field-admin-sessions = When an administrator logs in a second time
field-password-max-age = Password expiry (days; 0 = never)
field-password-history = Previous passwords that may not be reused
field-token-max-days = Longest API token validity (days)
field-token-name = Token name
field-scopes = Scopes
field-token-days = Valid for (days)
hint-username = 3–32 characters: lower-case letters, digits, dot, hyphen or underscore, starting with a letter.
hint-password = At least 10 characters from two of: upper-case letters, lower-case letters, digits, symbols; or 9 characters from three. It must not contain your user ID.

## Field errors
field-required = This field is required.
field-too_short = Use at least { $min } characters.
field-too_long = Use at most { $max } characters.
field-control_chars = Control characters are not allowed.
field-length = Use { $min } to { $max } characters.
field-username_chars = Use lower-case letters, digits, dot, hyphen or underscore, starting with a letter.
field-invalid_choice = Choose one of the offered values.
field-out_of_range = Enter a value from { $min } to { $max }.
field-less_than_idle = The maximum session length must not be shorter than the idle timeout.
field-password_too_short = The password is too weak: use at least 10 characters from two character kinds, or 9 from three.
field-password_contains_username = The password must not contain the user ID.
field-password_reused = Choose a password different from your last { $count }.
field-password_common = This password is too common or too simple to guess.
field-password_mismatch = The two passwords differ.
field-taken = This is already taken.
field-role_not_for_org = This role does not exist for this kind of organisation.
field-cannot_demote_self = You cannot remove your own administrator access.
field-cannot_delete_self = You cannot delete your own account.
field-cannot_disable_operator = The operating organisation cannot be disabled.
field-wrong_password = The password is not correct.
field-totp_already_enabled = The second factor is already on.
field-totp_not_started = Start setting up the second factor first.
field-totp_wrong = The code is not correct. Check the time on your phone and try the current code.
field-totp_required_by_policy = The security policy requires a second factor for administrators.
field-scope_above_token = A token cannot make a token with more scopes than its own.
field-scope_above_role = A token cannot have more rights than your role.
field-invalid_date = Enter a date as YYYY-MM-DD.
field-not_a_number = Enter a whole number.
field-invalid = This value is not valid.

## Setup
setup-title = Set up medsec
setup-intro = medsec has no accounts yet. Create the operating organisation and its first administrator. This link works once.
setup-org = Operating organisation
setup-admin = First administrator
setup-submit = Create and continue

## Login
login-title = Log in
login-submit = Log in
login-failed = Login failed. Check your user ID and password. After repeated failures the account is locked for a while.
login-lockout-note = For your security, the account locks after repeated failed logins, and idle sessions end automatically.
login-timed-out = Your session ended because it was idle. Please log in again.
login-logged-out = You have logged out.
login-setup-done = Setup is complete. Log in with the administrator account you created.
login-setup-pending = medsec is not set up yet. Use the setup link printed when the server started, or run `medsec init`.
login-activated = Your password is set. You can log in now.
login-password-changed = Your password was changed. Log in again.
login-session-refused = This administrator account is already logged in elsewhere. Log out there first, or wait until that session ends.
totp-title = Second factor
totp-intro = Enter the six-digit code from your authenticator app.
totp-submit = Confirm
totp-failed = The code is not correct. Repeated wrong codes lock the account.

## Activation
activate-title = Choose your password
activate-intro = Choose the password for the account { $username }.
activate-submit = Set password

## Dashboard
dash-heading-manufacturer = Manufacturer workspace
dash-heading-hospital = Hospital workspace
dash-heading-isac = Medical ISAC workspace
dash-heading-regulator = Regulator workspace
dash-last-login = Previous login
dash-last-login-at = Your previous successful login was at { $time } from { $address }.
dash-first-login = This is your first login.
dash-failures = There were { $count } failed login attempts since your previous login. If these were not you, tell your administrator.
dash-org = Organisation
dash-users = Users
dash-work = What this workspace is for
dash-work-note = These modules appear here as they are enabled on this medsec.
dash-recent = Recent activity
dash-all-audit = Full audit log
work-manufacturer-1 = Premarket cybersecurity evidence: the MFDS essential-principles checklist, risk management and test records
work-manufacturer-2 = SBOMs of released versions and their known vulnerabilities
work-manufacturer-3 = Coordinated vulnerability disclosure and security advisories
work-hospital-1 = Inventory of connected medical devices with SBOM, MDS2 and end-of-support dates
work-hospital-2 = Exposure of installed devices to new vulnerabilities
work-hospital-3 = Alerts and incident reports from the medical ISAC
work-isac-1 = 24×365 security monitoring of member hospitals' logs
work-isac-2 = Alerts, crisis levels and incident response
work-isac-3 = Threat-intelligence sharing and monthly reports
work-regulator-1 = Review of submitted cybersecurity documents
work-regulator-2 = Findings and traceability across the checklist

## Users
users-title = Users
users-new = New user
users-new-intro = The new user gets a one-time link to choose their own password; you never see it.
users-create = Create user
users-last-login = Last login
users-2fa = Second factor
users-locked = Locked
user-facts = Account
user-created = Created
user-edit = Edit
user-actions = Actions
user-unlock = Unlock
user-reset = Reset password
user-reset-confirm = The current password stops working and a new activation link is issued. Continue?
user-delete = Delete user
user-delete-confirm = Delete this user with their sessions and tokens? The audit log keeps their name.
link-activation-title = Activation link
link-activation-intro = Give this link to { $username } through a trusted channel. They choose their password with it.
link-activation-label = One-time activation link
link-activation-note = The link works once and expires in 72 hours. It is shown only now.

## Organisations
orgs-title = Organisations
orgs-created = Created
orgs-operator = Operator
orgs-new = New organisation
orgs-first-admin = First administrator (optional)
orgs-create = Create organisation
org-facts = Details
org-edit = Change
org-invite = Invite an administrator
org-invite-intro = Creates an administrator account in this organisation and shows its activation link.
org-invite-submit = Invite

## Audit
audit-title = Audit log
audit-filters = Filters
audit-time = Time
audit-actor = User
audit-source = From
audit-action = Event
audit-outcome = Result
audit-target = Object
audit-details = Details
audit-any = Any
audit-from = From (date)
audit-to = To (date)
audit-apply = Apply
audit-export = Export CSV
audit-empty = No records match.
audit-older = Older records
audit-chain-ok = Hash chain verified: { $count } records, none altered, removed or reordered.
audit-chain-broken = Hash chain broken: { $problem }

## Audit actions
action-auth-login-success = Login
action-auth-login-failure = Failed login
action-auth-lockout = Account locked
action-auth-logout = Logout
action-auth-session-timeout = Session timed out
action-auth-session-expired = Session reached its maximum length
action-auth-session-replaced = Session ended by a new login
action-auth-session-refused = Second administrator login refused
action-auth-session-revoked = Session ended by the user
action-auth-totp-failure = Wrong second-factor code
action-auth-totp-enabled = Second factor turned on
action-auth-totp-disabled = Second factor turned off
action-auth-access-denied = Access denied
action-setup-completed = Initial setup
action-user-created = User created
action-user-updated = User changed
action-user-role_changed = Role changed
action-user-disabled = User disabled
action-user-enabled = User enabled
action-user-unlocked = User unlocked
action-user-deleted = User deleted
action-user-password_changed = Password changed
action-user-password_reset = Password reset
action-user-activated = Account activated
action-org-created = Organisation created
action-org-updated = Organisation changed
action-org-disabled = Organisation disabled
action-org-enabled = Organisation enabled
action-token-created = API token created
action-token-revoked = API token revoked
action-settings-changed = Settings changed
action-audit-exported = Audit log exported
action-backup-created = Backup written
action-backup-restored = Backup restored

## Settings
settings-title = Security settings
settings-intro = These rules apply to every organisation on this medsec. Every change is recorded in the audit log.
settings-login = Login
settings-sessions = Sessions
settings-passwords = Passwords and tokens
settings-saved = The security settings were saved.
admin-sessions-replace = End the earlier session
admin-sessions-refuse = Refuse the new login

## Account
account-title = My account
account-profile = Profile
account-password-changed = Password last changed
account-change-password = Change password
account-2fa = Second factor (TOTP)
account-2fa-on = The second factor is on: each login also asks for a code from your authenticator app.
account-2fa-off = The second factor is off.
account-2fa-enable = Set up second factor
account-2fa-disable = Turn off
account-sessions = Sessions
account-tokens = API tokens
account-tokens-intro = Tokens let programs use the medsec API as you, limited to their scopes. They are shown only once.
session-started = Started
session-last-seen = Last used
session-address = Address
session-client = Client
session-current = This session
session-revoke = End
token-prefix = Begins with
token-expires = Expires
token-last-used = Last used
token-revoked = Revoked
token-revoke = Revoke
token-new = New token
token-create = Create token
token-created-title = API token created
token-created-intro = The token { $name } was created. Copy it now.
token-created-label = Token
token-created-note = medsec keeps only a hash of the token and cannot show it again.
password-title = Change password
password-forced = Your password must be changed before you continue.
password-submit = Change password
password-changed = Your password was changed.
totp-setup-title = Set up the second factor
totp-setup-forced = The security policy requires a second factor for administrators. Set it up to continue.
totp-setup-step1 = Scan the QR code with an authenticator app, or type the secret key into it.
totp-setup-step2 = Enter the six-digit code the app shows.
totp-setup-qr = QR code of the authenticator link
totp-setup-secret = Secret key
totp-setup-submit = Turn on

## Errors
error-title = Error
error-home = Go to the start page
error-request-id = Request ID
error-not-found-title = Not found
error-not-found = The page or object does not exist, or you have no access to it.
error-forbidden-title = Not allowed
error-forbidden = Your role does not allow this.
error-csrf-title = Form expired
error-csrf = The form was not accepted because it came from another page or had expired. Go back, reload the page and try again.
error-method-title = Not supported
error-method = This address does not support this kind of request.
error-too-large-title = Too large
error-too-large = The request is larger than medsec accepts.
error-busy-title = Busy
error-busy = medsec is busy checking other logins. Try again in a moment.
error-bad-request-title = Invalid request
error-bad-request = The request could not be read.
error-internal-title = Server error
error-internal = Something went wrong on the server. If it happens again, report the request ID to your administrator.

## API errors
api-error-invalid = A field is invalid
api-error-invalid_utf8 = The request is not valid UTF-8
api-error-invalid_form = The form could not be read
api-error-invalid_json = The JSON body could not be read
api-error-invalid_query = The query string could not be read
api-error-unsupported_media_type = Unsupported content type
api-error-unauthenticated = Authentication is required: send a valid bearer token
api-error-session_expired = The session ended (idle timeout or maximum length); log in again
api-error-login_failed = Login failed: check the user ID and password
api-error-session_refused = This administrator is already logged in elsewhere
api-error-password_change_required = The password must be changed first (POST /api/v1/account/password)
api-error-totp_enrolment_required = A second factor must be set up first (POST /api/v1/account/totp)
api-error-forbidden = Not allowed for this user or token
api-error-csrf = Cross-site request refused
api-error-not_found = Not found
api-error-method_not_allowed = Method not allowed
api-error-conflict = Already exists
api-error-payload_too_large = The request body is too large
api-error-busy = Too many logins are being checked; retry shortly
api-error-internal = Internal server error
