# medsec 사용자 화면, 한국어 (기본 언어).
# 메시지 id는 en.ftl과 같으며, 테스트가 두 파일을 맞춰 둡니다.

## 탐색과 공통 낱말
nav-skip = 본문으로 건너뛰기
nav-label = 주 메뉴
nav-dashboard = 대시보드
nav-users = 사용자
nav-audit = 감사 기록
nav-organizations = 기관
nav-settings = 보안 설정
nav-logout = 로그아웃
lang-switch = English
yes = 예
no = 아니요
never = 없음
save = 저장
cancel = 취소
continue = 계속
copy = 복사
actions = 작업

## 역할, 기관 유형, 상태, 결과, 범위
role-admin = 관리자
role-editor = 편집자
role-viewer = 조회자
role-analyst = 관제 요원
org-kind-manufacturer = 제조·수입업체
org-kind-hospital = 의료기관
org-kind-isac = 의료ISAC
org-kind-regulator = 규제기관
status-pending = 활성화 대기
status-active = 사용 중
status-disabled = 사용 중지
outcome-success = 성공
outcome-failure = 실패
scope-read = 조회
scope-write = 변경
scope-admin = 관리
scope-metrics = 지표 (Prometheus)

## 입력 항목
field-org-name = 기관명
field-org-kind = 기관 유형
field-username = 아이디
field-display-name = 이름
field-password = 비밀번호
field-password-confirm = 비밀번호 확인
field-current-password = 현재 비밀번호
field-new-password = 새 비밀번호
field-role = 역할
field-status = 상태
field-totp-code = 6자리 인증 코드
field-lockout-threshold = 계정 잠금 전 허용 로그인 실패 횟수
field-lockout-minutes = 계정 잠금 시간(분)
field-require-totp = 관리자는 2단계 인증(TOTP)을 반드시 사용
field-idle-timeout = 유휴 세션 종료 시간(초, 900 = 15분)
field-session-lifetime = 최대 세션 유지 시간(분)
field-admin-sessions = 관리자가 다른 곳에서 다시 로그인할 때
field-password-max-age = 비밀번호 사용 기간(일, 0 = 제한 없음)
field-password-history = 재사용할 수 없는 이전 비밀번호 개수
field-token-max-days = API 토큰 최대 유효 기간(일)
field-token-name = 토큰 이름
field-scopes = 권한 범위
field-token-days = 유효 기간(일)
hint-username = 영문 소문자로 시작하는 3~32자: 영문 소문자, 숫자, 마침표(.), 하이픈(-), 밑줄(_).
hint-password = 영문 대문자·영문 소문자·숫자·특수문자 중 2종류 이상을 조합한 10자 이상, 또는 3종류 이상을 조합한 9자 이상. 아이디를 포함할 수 없습니다.

## 입력 오류
field-required = 필수 입력 항목입니다.
field-too_short = { $min }자 이상 입력하십시오.
field-too_long = { $max }자 이하로 입력하십시오.
field-control_chars = 제어 문자는 사용할 수 없습니다.
field-length = { $min }~{ $max }자로 입력하십시오.
field-username_chars = 영문 소문자로 시작하고 영문 소문자, 숫자, 마침표, 하이픈, 밑줄만 사용하십시오.
field-invalid_choice = 제시된 값 중에서 선택하십시오.
field-out_of_range = { $min }부터 { $max }까지의 값을 입력하십시오.
field-less_than_idle = 최대 세션 유지 시간은 유휴 세션 종료 시간보다 짧을 수 없습니다.
field-password_too_short = 비밀번호가 너무 약합니다. 2종류 이상 조합 시 10자 이상, 3종류 이상 조합 시 9자 이상으로 설정하십시오.
field-password_contains_username = 비밀번호에 아이디를 포함할 수 없습니다.
field-password_reused = 최근 { $count }개의 비밀번호와 다른 비밀번호를 사용하십시오.
field-password_common = 너무 흔하거나 추측하기 쉬운 비밀번호입니다.
field-password_mismatch = 두 비밀번호가 일치하지 않습니다.
field-taken = 이미 사용 중입니다.
field-role_not_for_org = 이 기관 유형에는 없는 역할입니다.
field-cannot_demote_self = 자신의 관리자 권한은 해제할 수 없습니다.
field-cannot_delete_self = 자신의 계정은 삭제할 수 없습니다.
field-cannot_disable_operator = 운영 기관은 사용 중지할 수 없습니다.
field-wrong_password = 비밀번호가 올바르지 않습니다.
field-totp_already_enabled = 2단계 인증이 이미 켜져 있습니다.
field-totp_not_started = 먼저 2단계 인증 설정을 시작하십시오.
field-totp_wrong = 인증 코드가 올바르지 않습니다. 휴대전화의 시간을 확인하고 현재 코드를 입력하십시오.
field-totp_required_by_policy = 보안 정책상 관리자는 2단계 인증을 사용해야 합니다.
field-scope_above_token = 토큰은 자신이 가진 권한 범위를 넘는 토큰을 만들 수 없습니다.
field-scope_above_role = 토큰에 본인 역할보다 큰 권한을 줄 수 없습니다.
field-invalid_date = 날짜를 YYYY-MM-DD 형식으로 입력하십시오.
field-not_a_number = 정수를 입력하십시오.
field-invalid = 올바르지 않은 값입니다.

## 초기 설정
setup-title = medsec 초기 설정
setup-intro = 아직 계정이 없습니다. 운영 기관과 첫 관리자 계정을 만드십시오. 이 링크는 한 번만 사용할 수 있습니다.
setup-org = 운영 기관
setup-admin = 첫 관리자
setup-submit = 만들고 계속하기

## 로그인
login-title = 로그인
login-submit = 로그인
login-failed = 로그인에 실패했습니다. 아이디와 비밀번호를 확인하십시오. 여러 번 실패하면 계정이 일정 시간 잠깁니다.
login-lockout-note = 보안을 위해 로그인에 반복하여 실패하면 계정이 잠기고, 사용하지 않는 세션은 자동으로 종료됩니다.
login-timed-out = 일정 시간 사용하지 않아 세션이 종료되었습니다. 다시 로그인하십시오.
login-logged-out = 로그아웃했습니다.
login-setup-done = 초기 설정을 마쳤습니다. 만든 관리자 계정으로 로그인하십시오.
login-setup-pending = 아직 초기 설정 전입니다. 서버 시작 시 출력된 설정 링크를 사용하거나 `medsec init`을 실행하십시오.
login-activated = 비밀번호를 설정했습니다. 이제 로그인할 수 있습니다.
login-password-changed = 비밀번호를 변경했습니다. 다시 로그인하십시오.
login-session-refused = 이 관리자 계정은 이미 다른 곳에서 로그인되어 있습니다. 그곳에서 로그아웃하거나 세션이 끝난 뒤 다시 시도하십시오.
totp-title = 2단계 인증
totp-intro = 인증 앱에 표시된 6자리 코드를 입력하십시오.
totp-submit = 확인
totp-failed = 인증 코드가 올바르지 않습니다. 반복하여 틀리면 계정이 잠깁니다.

## 계정 활성화
activate-title = 비밀번호 설정
activate-intro = { $username } 계정의 비밀번호를 정하십시오.
activate-submit = 비밀번호 설정

## 대시보드
dash-heading-manufacturer = 제조사 작업 공간
dash-heading-hospital = 의료기관 작업 공간
dash-heading-isac = 의료ISAC 작업 공간
dash-heading-regulator = 규제기관 작업 공간
dash-last-login = 이전 로그인
dash-last-login-at = 이전 로그인: { $time }, 접속 주소 { $address }
dash-first-login = 첫 로그인입니다.
dash-failures = 이전 로그인 이후 로그인 실패가 { $count }회 있었습니다. 본인이 시도한 것이 아니라면 관리자에게 알리십시오.
dash-org = 기관
dash-users = 사용자 수
dash-work = 이 작업 공간에서 하는 일
dash-work-note = 각 기능은 이 medsec에서 사용하도록 설정되면 여기에 나타납니다.
dash-recent = 최근 활동
dash-all-audit = 전체 감사 기록
work-manufacturer-1 = 허가 신청용 사이버보안 자료: 식약처 필수원칙 체크리스트, 위험관리, 시험 기록
work-manufacturer-2 = 출시 버전의 SBOM과 알려진 취약점
work-manufacturer-3 = 취약점 공개 조정(CVD)과 보안 권고문
work-hospital-1 = SBOM, MDS2, 지원 종료일을 포함한 연결 의료기기 자산 목록
work-hospital-2 = 설치된 기기의 신규 취약점 노출 현황
work-hospital-3 = 의료ISAC의 경보와 침해사고 보고
work-isac-1 = 회원 의료기관 로그의 24시간 365일 보안관제
work-isac-2 = 경보, 위기경보 단계, 침해사고 대응
work-isac-3 = 위협정보 공유와 월간 보고서
work-regulator-1 = 제출된 사이버보안 자료 심사
work-regulator-2 = 체크리스트 전반의 심사 의견과 추적성

## 사용자
users-title = 사용자
users-new = 새 사용자
users-new-intro = 새 사용자는 일회용 링크로 직접 비밀번호를 정합니다. 관리자는 비밀번호를 알 수 없습니다.
users-create = 사용자 만들기
users-last-login = 마지막 로그인
users-2fa = 2단계 인증
users-locked = 잠김
user-facts = 계정
user-created = 생성일
user-edit = 수정
user-actions = 작업
user-unlock = 잠금 해제
user-reset = 비밀번호 초기화
user-reset-confirm = 현재 비밀번호를 더 이상 쓸 수 없게 되고 새 활성화 링크가 발급됩니다. 계속하시겠습니까?
user-delete = 사용자 삭제
user-delete-confirm = 이 사용자와 세션, 토큰을 삭제하시겠습니까? 감사 기록에는 이름이 남습니다.
link-activation-title = 활성화 링크
link-activation-intro = 이 링크를 신뢰할 수 있는 방법으로 { $username } 사용자에게 전달하십시오. 사용자는 이 링크로 비밀번호를 정합니다.
link-activation-label = 일회용 활성화 링크
link-activation-note = 링크는 한 번만 쓸 수 있고 72시간 뒤 만료됩니다. 지금만 표시됩니다.

## 기관
orgs-title = 기관
orgs-created = 생성일
orgs-operator = 운영 기관
orgs-new = 새 기관
orgs-first-admin = 첫 관리자(선택)
orgs-create = 기관 만들기
org-facts = 정보
org-edit = 변경
org-invite = 관리자 초대
org-invite-intro = 이 기관에 관리자 계정을 만들고 활성화 링크를 보여 줍니다.
org-invite-submit = 초대

## 감사 기록
audit-title = 감사 기록
audit-filters = 조건
audit-time = 시각
audit-actor = 사용자
audit-source = 접속 주소
audit-action = 이벤트
audit-outcome = 결과
audit-target = 대상
audit-details = 상세
audit-any = 전체
audit-from = 시작일
audit-to = 종료일
audit-apply = 적용
audit-export = CSV 내보내기
audit-empty = 조건에 맞는 기록이 없습니다.
audit-older = 이전 기록
audit-chain-ok = 해시 체인 검증 완료: 기록 { $count }건, 변경·삭제·순서 바뀜 없음.
audit-chain-broken = 해시 체인 손상: { $problem }

## 감사 이벤트
action-auth-login-success = 로그인
action-auth-login-failure = 로그인 실패
action-auth-lockout = 계정 잠김
action-auth-logout = 로그아웃
action-auth-session-timeout = 유휴 세션 종료
action-auth-session-expired = 최대 세션 시간 도달
action-auth-session-replaced = 새 로그인으로 세션 종료
action-auth-session-refused = 관리자 중복 로그인 거부
action-auth-session-revoked = 사용자가 세션 종료
action-auth-totp-failure = 2단계 인증 코드 오류
action-auth-totp-enabled = 2단계 인증 설정
action-auth-totp-disabled = 2단계 인증 해제
action-auth-access-denied = 접근 거부
action-setup-completed = 초기 설정
action-user-created = 사용자 생성
action-user-updated = 사용자 정보 변경
action-user-role_changed = 역할 변경
action-user-disabled = 사용자 사용 중지
action-user-enabled = 사용자 사용 재개
action-user-unlocked = 계정 잠금 해제
action-user-deleted = 사용자 삭제
action-user-password_changed = 비밀번호 변경
action-user-password_reset = 비밀번호 초기화
action-user-activated = 계정 활성화
action-org-created = 기관 생성
action-org-updated = 기관 정보 변경
action-org-disabled = 기관 사용 중지
action-org-enabled = 기관 사용 재개
action-token-created = API 토큰 생성
action-token-revoked = API 토큰 폐기
action-settings-changed = 설정 변경
action-audit-exported = 감사 기록 내보내기
action-backup-created = 백업 생성
action-backup-restored = 백업 복원

## 보안 설정
settings-title = 보안 설정
settings-intro = 이 설정은 이 medsec의 모든 기관에 적용됩니다. 모든 변경은 감사 기록에 남습니다.
settings-login = 로그인
settings-sessions = 세션
settings-passwords = 비밀번호와 토큰
settings-saved = 보안 설정을 저장했습니다.
admin-sessions-replace = 이전 세션 종료
admin-sessions-refuse = 새 로그인 거부

## 내 계정
account-title = 내 계정
account-profile = 프로필
account-password-changed = 비밀번호 최종 변경
account-change-password = 비밀번호 변경
account-2fa = 2단계 인증 (TOTP)
account-2fa-on = 2단계 인증을 사용 중입니다. 로그인할 때마다 인증 앱의 코드도 입력합니다.
account-2fa-off = 2단계 인증을 사용하지 않습니다.
account-2fa-enable = 2단계 인증 설정
account-2fa-disable = 해제
account-sessions = 세션
account-tokens = API 토큰
account-tokens-intro = 프로그램이 본인 권한으로, 토큰의 권한 범위 안에서 medsec API를 쓰게 합니다. 토큰은 한 번만 표시됩니다.
session-started = 시작
session-last-seen = 마지막 사용
session-address = 주소
session-client = 클라이언트
session-current = 현재 세션
session-revoke = 종료
token-prefix = 앞부분
token-expires = 만료
token-last-used = 마지막 사용
token-revoked = 폐기됨
token-revoke = 폐기
token-new = 새 토큰
token-create = 토큰 만들기
token-created-title = API 토큰 생성
token-created-intro = { $name } 토큰을 만들었습니다. 지금 복사하십시오.
token-created-label = 토큰
token-created-note = medsec은 토큰의 해시만 보관하므로 다시 보여 줄 수 없습니다.
password-title = 비밀번호 변경
password-forced = 계속하려면 비밀번호를 변경해야 합니다.
password-submit = 비밀번호 변경
password-changed = 비밀번호를 변경했습니다.
totp-setup-title = 2단계 인증 설정
totp-setup-forced = 보안 정책상 관리자는 2단계 인증을 사용해야 합니다. 설정 후 계속할 수 있습니다.
totp-setup-step1 = 인증 앱으로 QR 코드를 스캔하거나 비밀 키를 직접 입력하십시오.
totp-setup-step2 = 앱에 표시된 6자리 코드를 입력하십시오.
totp-setup-qr = 인증 앱 등록용 QR 코드
totp-setup-secret = 비밀 키
totp-setup-submit = 사용하기

## 오류
error-title = 오류
error-home = 첫 화면으로
error-request-id = 요청 ID
error-not-found-title = 찾을 수 없음
error-not-found = 페이지나 대상이 없거나 접근 권한이 없습니다.
error-forbidden-title = 허용되지 않음
error-forbidden = 현재 역할로는 할 수 없는 작업입니다.
error-csrf-title = 만료된 양식
error-csrf = 다른 페이지에서 보냈거나 만료된 양식이라 처리하지 않았습니다. 뒤로 가서 페이지를 새로 고친 뒤 다시 시도하십시오.
error-method-title = 지원하지 않음
error-method = 이 주소는 이 요청 방식을 지원하지 않습니다.
error-too-large-title = 너무 큼
error-too-large = 요청이 medsec이 받을 수 있는 크기보다 큽니다.
error-busy-title = 처리 중
error-busy = 다른 로그인을 확인하느라 바쁩니다. 잠시 후 다시 시도하십시오.
error-bad-request-title = 잘못된 요청
error-bad-request = 요청을 읽을 수 없습니다.
error-internal-title = 서버 오류
error-internal = 서버에서 문제가 발생했습니다. 다시 발생하면 요청 ID를 관리자에게 알려 주십시오.

## API 오류
api-error-invalid = 올바르지 않은 항목이 있습니다
api-error-invalid_utf8 = 요청이 올바른 UTF-8이 아닙니다
api-error-invalid_form = 양식을 읽을 수 없습니다
api-error-invalid_json = JSON 본문을 읽을 수 없습니다
api-error-invalid_query = 쿼리 문자열을 읽을 수 없습니다
api-error-unsupported_media_type = 지원하지 않는 콘텐츠 유형입니다
api-error-unauthenticated = 인증이 필요합니다. 유효한 Bearer 토큰을 보내십시오
api-error-session_expired = 세션이 종료되었습니다(유휴 시간 초과 또는 최대 시간 도달). 다시 로그인하십시오
api-error-login_failed = 로그인 실패: 아이디와 비밀번호를 확인하십시오
api-error-session_refused = 이 관리자는 이미 다른 곳에서 로그인되어 있습니다
api-error-password_change_required = 먼저 비밀번호를 변경해야 합니다 (POST /api/v1/account/password)
api-error-totp_enrolment_required = 먼저 2단계 인증을 설정해야 합니다 (POST /api/v1/account/totp)
api-error-forbidden = 이 사용자나 토큰으로는 허용되지 않습니다
api-error-csrf = 교차 사이트 요청을 거부했습니다
api-error-not_found = 찾을 수 없습니다
api-error-method_not_allowed = 허용되지 않는 메서드입니다
api-error-conflict = 이미 있습니다
api-error-payload_too_large = 요청 본문이 너무 큽니다
api-error-busy = 확인 중인 로그인이 너무 많습니다. 잠시 후 다시 시도하십시오
api-error-internal = 서버 내부 오류
