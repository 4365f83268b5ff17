/*
  medsec built-in webshell rules: JSP and JSPX (Java web applications).
  Same constraints as php.yar: both yara-x and libyara 4.2 must agree.
*/

rule jsp_command_execution_request_input
{
    meta:
        description = "JSP running OS commands (Runtime.exec, ProcessBuilder) with request parameters"
        severity = "critical"
        attack = "T1505.003"
        reference = "https://attack.mitre.org/techniques/T1505/003/"
    strings:
        $direct = /Runtime\s*\.\s*getRuntime\s*\(\s*\)\s*\.\s*exec\s*\(\s*request\s*\.\s*getParameter\s*\(/
        $exec = /Runtime\s*\.\s*getRuntime\s*\(\s*\)\s*\.\s*exec\s*\(/
        $pb = /new\s+ProcessBuilder\s*\(/
        $param = /request\s*\.\s*(getParameter|getHeader|getInputStream|getReader)\s*\(/
    condition:
        $direct or (($exec or $pb) and $param)
}

rule jsp_classloader_defineclass_base64
{
    meta:
        description = "JSP defining a class from base64 (and often AES-encrypted) request data with its own ClassLoader: Behinder or Godzilla style"
        severity = "critical"
        attack = "T1505.003"
        reference = "https://github.com/nsacyber/Mitigating-Web-Shells"
    strings:
        $define = /defineClass\s*\(/
        $b64a = "BASE64Decoder" ascii
        $b64b = /Base64\s*\.\s*getDecoder\s*\(/
        $b64c = "decodeBuffer" ascii
        $b64d = /DatatypeConverter\s*\.\s*parseBase64Binary/
        $loader1 = /extends\s+ClassLoader/
        $loader2 = /getDeclaredMethod\s*\(\s*"defineClass"/
        $aes = /Cipher\s*\.\s*getInstance\s*\(\s*"AES/
        $session = /session\s*\.\s*(putValue|setAttribute)\s*\(\s*"u"/
    condition:
        $define and any of ($b64*) and any of ($loader*, $aes, $session)
}

rule jspx_scriptlet_command_execution
{
    meta:
        description = "JSPX scriptlet running OS commands or defining classes"
        severity = "high"
        attack = "T1505.003"
        reference = "https://attack.mitre.org/techniques/T1505/003/"
    strings:
        $scriptlet = "<jsp:scriptlet>" ascii
        $exec = /Runtime\s*\.\s*getRuntime\s*\(\s*\)\s*\.\s*exec\s*\(/
        $pb = /new\s+ProcessBuilder\s*\(/
        $define = /defineClass\s*\(/
    condition:
        $scriptlet and any of ($exec, $pb, $define)
}
