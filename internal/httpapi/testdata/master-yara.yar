// report rpt-ioc: Tom's "loader", <v2> & co
rule Tom_Loader
{
    strings:
        $a = "tom's"
    condition:
        $a
}

// report rpt-2: Example loader
rule Loader_Two { condition: true }

// report rpt-3: Example ICS second line
rule ICS_Three { condition: false }

