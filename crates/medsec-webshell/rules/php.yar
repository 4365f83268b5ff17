/*
  medsec built-in webshell rules: PHP.

  Written for medsec; every rule must compile and give the same matches
  under yara-x (medsec) and libyara 4.2 (Debian's `yara`), which
  crates/medsec-webshell/tests/it/reference.rs checks on the fixtures.
  Regular expressions are therefore bounded ({0,200}, never .*) and use
  only syntax both engines share.

  "Request input" below means $_GET, $_POST, $_REQUEST or $_COOKIE.
*/

rule php_eval_request_input
{
    meta:
        description = "PHP code execution (eval/assert) of request input, possibly through a decoding function"
        severity = "critical"
        attack = "T1505.003"
        reference = "https://attack.mitre.org/techniques/T1505/003/"
    strings:
        $direct = /\b(eval|assert)\s*\(\s*[@(]{0,3}\s*\$_(GET|POST|REQUEST|COOKIE)\s*\[/ nocase
        $decoded = /\b(eval|assert)\s*\(\s*[@(]{0,3}\s*(base64_decode|gzinflate|gzuncompress|gzdecode|str_rot13|strrev|stripslashes|urldecode|rawurldecode|hex2bin)\s*\(\s*[@(]{0,3}\s*\$_(GET|POST|REQUEST|COOKIE)/ nocase
    condition:
        any of them
}

rule php_create_function_request_input
{
    meta:
        description = "PHP create_function() whose body comes from request input"
        severity = "critical"
        attack = "T1505.003"
        reference = "https://www.php.net/manual/en/function.create-function.php"
    strings:
        $cf = /\bcreate_function\s*\([^;]{0,200}\$_(GET|POST|REQUEST|COOKIE)/ nocase
    condition:
        $cf
}

rule php_preg_replace_eval_modifier
{
    meta:
        description = "PHP preg_replace() with the /e modifier (evaluates the replacement as code) on request input"
        severity = "critical"
        attack = "T1505.003"
        reference = "https://www.php.net/manual/en/reference.pcre.pattern.modifiers.php"
    strings:
        $e = /\bpreg_replace\s*\(\s*['"][^'"]{0,200}\/[a-zA-Z]{0,8}e[a-zA-Z]{0,8}['"]\s*,[^;]{0,200}\$_(GET|POST|REQUEST|COOKIE)/ nocase
    condition:
        $e
}

rule php_encoded_eval_chain
{
    meta:
        description = "PHP eval() of a chain of decoders (base64_decode, gzinflate, str_rot13, ...) or of a long encoded literal: packed webshell"
        severity = "high"
        attack = "T1505.003"
        reference = "https://github.com/nsacyber/Mitigating-Web-Shells"
    strings:
        $chain = /\beval\s*\(\s*[@(]{0,3}\s*(gzinflate|gzuncompress|gzdecode|str_rot13|base64_decode|strrev|convert_uudecode)\s*\(\s*[@(]{0,3}\s*(gzinflate|gzuncompress|gzdecode|str_rot13|base64_decode|strrev|convert_uudecode)\s*\(/ nocase
        $literal = /\beval\s*\(\s*[@(]{0,3}\s*base64_decode\s*\(\s*['"][A-Za-z0-9+\/]{120}/ nocase
    condition:
        any of them
}

rule php_command_execution_request_input
{
    meta:
        description = "PHP OS command execution (system, passthru, shell_exec, exec, popen, proc_open, backticks) of request input"
        severity = "critical"
        attack = "T1505.003"
        reference = "https://attack.mitre.org/techniques/T1505/003/"
    strings:
        $call = /\b(system|passthru|shell_exec|exec|popen|proc_open|pcntl_exec)\s*\(\s*[@(]{0,3}\s*(base64_decode\s*\(\s*|stripslashes\s*\(\s*|urldecode\s*\(\s*){0,2}\$_(GET|POST|REQUEST|COOKIE)\s*\[/ nocase
        $backtick = /`\s*\$_(GET|POST|REQUEST|COOKIE)\s*\[/
    condition:
        any of them
}

rule php_command_parameter_shell
{
    meta:
        description = "PHP script that reads a command-like request parameter (cmd, command, exec, shell) and runs OS commands"
        severity = "high"
        attack = "T1505.003"
        reference = "https://attack.mitre.org/techniques/T1505/003/"
    strings:
        $param = /\$_(GET|POST|REQUEST|COOKIE)\s*\[\s*['"]?(cmd|command|exec|execute|shell|cmdline)['"]?\s*\]/ nocase
        $exec = /\b(system|passthru|shell_exec|popen|proc_open|pcntl_exec)\s*\(/ nocase
    condition:
        $param and $exec
}

rule php_china_chopper
{
    meta:
        description = "China Chopper PHP one-liner: eval of one POST parameter in a tiny file"
        severity = "critical"
        attack = "T1505.003"
        reference = "https://attack.mitre.org/software/S0020/"
    strings:
        $one = /<\?php\s{0,8}@?\s{0,8}(eval|assert)\s*\(\s*\$_(POST|GET|REQUEST)\s*\[\s*['"]?[^'"\]]{1,32}['"]?\s*\]\s*\)\s*;?\s*\?>/ nocase
    condition:
        filesize < 4KB and $one
}

rule php_variable_function_obfuscation
{
    meta:
        description = "PHP variable-function obfuscation: a function name from request input, or eval/assert/system hidden by str_rot13, strrev or concatenation"
        severity = "high"
        attack = "T1505.003"
        reference = "https://github.com/nsacyber/Mitigating-Web-Shells"
    strings:
        $request_fn = /\$_(GET|POST|REQUEST|COOKIE)\s*\[[^\]]{1,40}\]\s*\(\s*\$_(GET|POST|REQUEST|COOKIE)/ nocase
        $var_call = /\$[a-zA-Z_][a-zA-Z0-9_]{0,30}\s*\(\s*[@(]{0,3}\s*\$_(GET|POST|REQUEST|COOKIE)\s*\[/
        $rot13 = /\bstr_rot13\s*\(\s*['"](riny|nffreg|flfgrz|cnffgueh|furyy_rkrp|perngr_shapgvba)['"]/ nocase
        $strrev = /\bstrrev\s*\(\s*['"](lave|tressa|metsys|urhtssap|cexe_llehs|noitcnuf_etaerc)['"]/ nocase
        $concat = /['"](as|ass|asse)['"]\s*\.\s*['"](sert|ert|rt)['"]/ nocase
    condition:
        any of them
}

rule php_known_file_manager
{
    meta:
        description = "Known PHP webshell file manager (c99, r57, WSO, b374k) by its markers"
        severity = "critical"
        attack = "T1505.003"
        reference = "https://github.com/nsacyber/Mitigating-Web-Shells"
    strings:
        $php = "<?" ascii
        $c99a = "c99shell" nocase ascii
        $c99b = "c99_sess_put" nocase ascii
        $r57a = "r57shell" nocase ascii
        $r57b = "r57 shell" nocase ascii
        $wsoa = "wso_version" nocase ascii
        $wsob = "'FilesMan'" ascii
        $wsoc = "wsoEx(" ascii
        $wsod = "WSOsetcookie" ascii
        $b374k = "b374k" nocase ascii
    condition:
        $php and any of ($c99*, $r57*, $wso*, $b374k)
}
