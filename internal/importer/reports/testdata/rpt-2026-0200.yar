rule Example_Loader_Stage1
{
    meta:
        description = "Invented rule of an invented loader"
        report = "rpt-2026-0200"
    strings:
        $mz = { 4D 5A }
        $s1 = "example-loader" ascii wide
    condition:
        $mz at 0 and $s1
}
