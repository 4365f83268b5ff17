/*
  medsec built-in webshell rules: classic ASP and ASP.NET (ASPX).
  Same constraints as php.yar: both yara-x and libyara 4.2 must agree.
*/

rule asp_eval_request_input
{
    meta:
        description = "ASP/ASPX evaluating request input as code (eval, Execute, ExecuteGlobal), e.g. the China Chopper one-liner"
        severity = "critical"
        attack = "T1505.003"
        reference = "https://attack.mitre.org/software/S0020/"
    strings:
        $eval = /\b(eval|execute|executeglobal)\s*\(?\s*request\s*(\.\s*(item|form|querystring|cookies|params))?\s*[\(\[]/ nocase
    condition:
        $eval
}

rule asp_wscript_shell_request_input
{
    meta:
        description = "ASP/ASPX creating WScript.Shell or Shell.Application in a page that reads request input"
        severity = "high"
        attack = "T1505.003"
        reference = "https://attack.mitre.org/techniques/T1505/003/"
    strings:
        $shell = /(WScript\.Shell|Shell\.Application)/ nocase
        $request = /\brequest\s*(\.\s*(item|form|querystring|cookies|params))?\s*[\(\[]/ nocase
    condition:
        $shell and $request
}

rule aspx_process_start_request_input
{
    meta:
        description = "ASPX starting a process (Process.Start, ProcessStartInfo) in a page that reads request input"
        severity = "critical"
        attack = "T1505.003"
        reference = "https://attack.mitre.org/techniques/T1505/003/"
    strings:
        $start = /Process\s*\.\s*Start\s*\(/
        $psi = /new\s+(System\.Diagnostics\.)?ProcessStartInfo\s*\(/
        $request = /\bRequest\s*(\.\s*(Item|Form|QueryString|Params|Cookies))?\s*[\(\[]/ nocase
    condition:
        ($start or $psi) and $request
}
