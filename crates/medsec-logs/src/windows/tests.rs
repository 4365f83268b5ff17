//! Windows events: winlogbeat documents and EVTX records as JSON in the
//! spellings collectors use, and the ECS fields of logons and processes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

use super::*;
use crate::clock::{format_rfc3339, parse_rfc3339};
use crate::testing::{lines, render};

fn ctx() -> TimeContext {
    TimeContext::new(parse_rfc3339("2024-03-10T00:00:00Z").unwrap())
}

fn check(input: &str, expect: &str) {
    let object = json::parse_object(input).unwrap();
    assert!(is_windows(&object), "{input}");
    let mut draft = Draft::new();
    decode_object(object, &mut draft, ctx());
    crate::testing::assert_documented(&draft.fields);
    let mut got = render(&draft.fields);
    if let Some(t) = draft.timestamp {
        got.push_str(&format!("@timestamp={}\n", format_rfc3339(t)));
    }
    assert_eq!(got, lines(expect), "{input}");
}

#[test]
fn winlogbeat_failed_logon() {
    check(
        r#"{"@timestamp":"2024-03-09T01:15:30.123Z","winlog":{"channel":"Security","event_id":"4625","provider_name":"Microsoft-Windows-Security-Auditing","computer_name":"EMR-DC01.hospital.local","event_data":{"TargetUserName":"administrator","IpAddress":"203.0.113.9","IpPort":"51234","LogonType":"3","Status":"0xc000006d"}}}"#,
        "winlog.channel=Security
         winlog.computer_name=EMR-DC01.hospital.local
         winlog.event_data.IpAddress=203.0.113.9
         winlog.event_data.IpPort=51234
         winlog.event_data.LogonType=3
         winlog.event_data.Status=0xc000006d
         winlog.event_data.TargetUserName=administrator
         winlog.event_id:int=4625
         winlog.provider_name=Microsoft-Windows-Security-Auditing
         host.name=EMR-DC01.hospital.local
         event.code=4625
         event.category=authentication
         event.action=logon-failed
         event.outcome=failure
         user.name=administrator
         source.ip:ip=203.0.113.9
         source.port:int=51234
         @timestamp=2024-03-09T01:15:30.123Z",
    );
}

#[test]
fn evtx_as_json_with_attributes() {
    // The shape of the Sigma regression data (evtx_dump).
    check(
        r##"{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon","Guid":"5770385F-C22A-43E0-BF4C-06F5698FFBD9"}},"EventID":1,"Version":5,"Level":4,"Task":1,"Opcode":0,"Keywords":"0x8000000000000000","TimeCreated":{"#attributes":{"SystemTime":"2025-12-06T21:11:02.649150Z"}},"EventRecordID":67583,"Correlation":null,"Execution":{"#attributes":{"ProcessID":3904,"ThreadID":4272}},"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"swachchhanda","Security":{"#attributes":{"UserID":"S-1-5-18"}}},"EventData":{"RuleName":"-","ProcessId":3412,"Image":"C:\\Windows\\System32\\cmd.exe","CommandLine":"C:\\WINDOWS\\system32\\cmd.exe /d /s /c \"whoami\"","User":"swachchhanda\\xodih","ParentProcessId":1092,"ParentImage":"C:\\Users\\xodih\\node.exe"}}}"##,
        r#"winlog.event_id:int=1
         winlog.provider_name=Microsoft-Windows-Sysmon
         winlog.channel=Microsoft-Windows-Sysmon/Operational
         winlog.computer_name=swachchhanda
         host.name=swachchhanda
         winlog.record_id:int=67583
         log.level=information
         winlog.process.pid:int=3904
         winlog.process.thread.id:int=4272
         winlog.user.identifier=S-1-5-18
         winlog.event_data.CommandLine=C:\WINDOWS\system32\cmd.exe /d /s /c "whoami"
         winlog.event_data.Image=C:\Windows\System32\cmd.exe
         winlog.event_data.ParentImage=C:\Users\xodih\node.exe
         winlog.event_data.ParentProcessId:int=1092
         winlog.event_data.ProcessId:int=3412
         winlog.event_data.RuleName=-
         winlog.event_data.User=swachchhanda\xodih
         event.code=1
         event.category=process
         event.action=process-created
         process.executable=C:\Windows\System32\cmd.exe
         process.command_line=C:\WINDOWS\system32\cmd.exe /d /s /c "whoami"
         process.pid:int=3412
         process.parent.executable=C:\Users\xodih\node.exe
         process.parent.pid:int=1092
         user.name=swachchhanda\xodih
         @timestamp=2025-12-06T21:11:02.64915Z"#,
    );
}

#[test]
fn evtx_as_json_with_a_data_list() {
    // xml2json style: `@Name` attributes and `#text`, EventID with
    // qualifiers.
    check(
        r##"{"Event":{"System":{"Provider":{"@Name":"Microsoft-Windows-Security-Auditing"},"EventID":{"#text":"4624","@Qualifiers":""},"TimeCreated":{"@SystemTime":"2024-03-09T01:15:30.0000000Z"},"Channel":"Security","Computer":"EMR-WS07"},"EventData":{"Data":[{"@Name":"TargetUserName","#text":"kim"},{"@Name":"IpAddress","#text":"::ffff:10.1.2.3"},{"@Name":"IpPort","#text":"0"},{"@Name":"LogonType","#text":"10"}]}}}"##,
        "winlog.event_id:int=4624
         winlog.provider_name=Microsoft-Windows-Security-Auditing
         winlog.channel=Security
         winlog.computer_name=EMR-WS07
         host.name=EMR-WS07
         winlog.event_data.IpAddress=::ffff:10.1.2.3
         winlog.event_data.IpPort=0
         winlog.event_data.LogonType=10
         winlog.event_data.TargetUserName=kim
         event.code=4624
         event.category=authentication
         event.action=logged-in
         event.outcome=success
         user.name=kim
         source.ip:ip=10.1.2.3
         @timestamp=2024-03-09T01:15:30Z",
    );
}

proptest! {
    #[test]
    fn never_panics(id in "\\PC{0,8}", data in "\\PC{0,30}", n in any::<i64>()) {
        for line in [
            serde_json::json!({"Event": {"System": {"EventID": id, "TimeCreated": data, "Execution": n}, "EventData": {"Data": [data, {"@Name": n}]}}}),
            serde_json::json!({"Event": {"System": {"EventID": n}, "EventData": data}}),
            serde_json::json!({"winlog": {"event_id": id, "event_data": {"IpAddress": data, "Status": n}}}),
        ] {
            let object = json::parse_object(&line.to_string()).unwrap();
            let mut draft = Draft::new();
            decode_object(object, &mut draft, ctx());
        }
    }
}
