"""Description mode: both dialects of real plugins, down to the engine's PluginInfo."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ixion.nasl.builtins import standard_library
from ixion.nasl.catalog.describe import Describer, DescriptionError, describe
from ixion.nasl.catalog.plugin_info import plugin_id, plugin_infos, to_plugin_info
from ixion.nasl.description.metadata import (
    NaslMetadata,
    NaslPreference,
    from_bytes,
    share_equal,
    to_bytes,
)
from ixion.nasl.interpreter import Interpreter
from ixion.nasl.syntax.parser import parse
from ixion.nasl.syntax.prefix import NoDescriptionBlock, parse_description
from ixion.plugin_api.metadata import Category, PluginPreference, PreferenceType

CLASSIC = b"""#
# (C) Tenable Network Security
#
if(description)
{
 script_id(10330);
 script_bugtraq_id(3581, 3582);
 script_cve_id("CVE-2001-0550", "CAN-2002-0001");
 script_version ("$Revision: 1.50 $");
 name["english"] = "Services";
 name["francais"] = "Services";
 script_name(english:name["english"], francais:name["francais"]);
 desc["english"] = "
This plugin finds services.

Risk factor : Low";
 script_description(english:desc["english"]);
 script_summary(francais:"Trouve les services", english:"Find what is listening");
 script_category(ACT_GATHER_INFO);
 script_copyright(english:"This script is Copyright (C) 1999 Renaud Deraison");
 script_family(english:"Service detection", francais:"Detection de services");
 script_dependencie("find_service.nes", "http_version.nasl");
 script_require_ports("Services/www", 80);
 script_require_keys("Settings/ThoroughTests");
 script_exclude_keys("Settings/disable_cgi_scanning");
 script_add_preference(name:"Login", type:"entry", value:"anonymous");
 script_add_preference(name:"Try hard", type:"checkbox", value:"maybe");
 script_timeout(600);
 exit(0);
}
port = get_kb_item("Services/www");
security_hole(port);
"""

MODERN = b"""# SPDX-License-Identifier: GPL-2.0-only
include("revisions-lib.inc");
CPE = "cpe:/a:example:widget";
function extra(a) { return "Affected: " + a; }
tag_summary = "Widget is vulnerable.";
if (description)
{
  script_oid("1.3.6.1.4.1.25623.1.0.900123");
  script_version("2023-07-11T05:06:07+0000");
  script_tag(name:"cvss_base", value:"5.0");
  script_tag(name:"cvss_base_vector", value:"AV:N/AC:L/Au:N/C:P/I:N/A:N");
  script_name("Widget " + "1.0 " + 'Overflow');
  script_tag(name:"summary", value:tag_summary);
  script_tag(name:"insight", value:"A long
insight.");
  if (revcomp(a: OPENVAS_VERSION, b: "6.0+beta5") >= 0) {
    script_tag(name:"affected", value:extra(a: "widget 1.0"));
  }
  script_tag(name:"solution", value:"Update.");
  script_category(ACT_ATTACK);
  script_copyright("Copyright (C) 2023 Example");
  script_family("Web application abuses");
  script_dependencies("gb_widget_detect.nasl");
  script_mandatory_keys("widget/installed");
  script_require_keys("widget/port");
  script_require_udp_ports(161, "Services/udp/snmp");
  script_xref(name:"URL", value:"https://example.org/advisory");
  script_cve_id("CVE-2023-0001");
  script_add_preference(name:"Mode", type:"radio", value:"fast;slow");
  mode = script_get_preference("Mode");
  script_tag(name:"qod_type", value:mode);
  exit(0);
}
this will not parse, nor is it read: only the description part is
"""

REVISIONS = b"""function revcomp(a, b) { if (a == b) return 0; return 1; }
"""


def write(folder: Path, name: str, source: bytes) -> Path:
    path = folder / name
    path.write_bytes(source)
    return path


def test_classic_script() -> None:
    meta = Describer().describe_source(CLASSIC, "services.nasl")
    assert meta == NaslMetadata(
        id=10330,
        name="Services",
        family="Service detection",
        category=3,
        summary="Find what is listening",
        description="\nThis plugin finds services.\n\nRisk factor : Low",
        version="$Revision: 1.50 $",
        copyright="This script is Copyright (C) 1999 Renaud Deraison",
        cve=("CVE-2001-0550", "CAN-2002-0001"),
        bid=("3581", "3582"),
        dependencies=("find_service.nes", "http_version.nasl"),
        require_keys=("Settings/ThoroughTests",),
        exclude_keys=("Settings/disable_cgi_scanning",),
        require_ports=("Services/www", 80),
        preferences=(
            NaslPreference("Login", "entry", "anonymous"),
            NaslPreference("Try hard", "checkbox", "maybe"),
        ),
        timeout=600,
    )
    info = to_plugin_info(meta, "services.nasl")
    assert (info.id, info.name, info.category, info.summary) == (
        10330,
        "Services",
        Category.GATHER_INFO,
        "Find what is listening",
    )
    assert info.description == meta.description
    assert info.preferences == (
        PluginPreference("Login", PreferenceType.ENTRY, "anonymous"),
        PluginPreference("Try hard", PreferenceType.CHECKBOX, "no"),
    )
    assert info.timeout == 600


def test_modern_script(tmp_path: Path) -> None:
    write(tmp_path, "revisions-lib.inc", REVISIONS)
    script = write(tmp_path, "gb_widget_overflow.nasl", MODERN)
    meta = describe(script, [tmp_path])
    assert meta == NaslMetadata(
        oid="1.3.6.1.4.1.25623.1.0.900123",
        name="Widget 1.0 Overflow",
        family="Web application abuses",
        category=4,
        version="2023-07-11T05:06:07+0000",
        copyright="Copyright (C) 2023 Example",
        cve=("CVE-2023-0001",),
        xrefs=("URL:https://example.org/advisory",),
        tags=(
            ("cvss_base", "5.0"),
            ("cvss_base_vector", "AV:N/AC:L/Au:N/C:P/I:N/A:N"),
            ("summary", "Widget is vulnerable."),
            ("insight", "A long\ninsight."),
            ("affected", "Affected: widget 1.0"),
            ("solution", "Update."),
            ("qod_type", "fast;slow"),
        ),
        dependencies=("gb_widget_detect.nasl",),
        require_keys=("widget/port",),
        mandatory_keys=("widget/installed",),
        require_udp_ports=(161, "Services/udp/snmp"),
        preferences=(NaslPreference("Mode", "radio", "fast;slow"),),
    )
    info = to_plugin_info(meta, script.name)
    assert info.id == 900123
    assert info.category is Category.ATTACK
    assert info.summary == "Widget is vulnerable."
    assert info.require_keys == ("widget/port", "widget/installed")
    assert info.version == "2023-07-11T05:06:07+0000"
    assert info.description == (
        "Widget is vulnerable.\n\n"
        "Vulnerability Insight:\nA long\ninsight.\n\n"
        "Affected Software/OS:\nAffected: widget 1.0\n\n"
        "Solution:\nUpdate.\n\n"
        "CVSS Base Score: 5.0 (AV:N/AC:L/Au:N/C:P/I:N/A:N)"
    )
    assert info.preferences == (PluginPreference("Mode", PreferenceType.RADIO, "fast;slow"),)


def test_metadata_record_round_trip(tmp_path: Path) -> None:
    write(tmp_path, "revisions-lib.inc", REVISIONS)
    meta = describe(write(tmp_path, "w.nasl", MODERN), [tmp_path])
    again = from_bytes(to_bytes(meta))
    assert again == meta
    assert isinstance(again.preferences[0], NaslPreference)
    with pytest.raises(ValueError, match="not a metadata record"):
        from_bytes(b"garbage")


def test_prefix_stops_after_the_block() -> None:
    program = parse_description(MODERN, "w.nasl")
    assert len(program.body) == 5  # include, CPE, function, tag_summary, if
    # Without the cut heuristics' "exit(0); }" the whole file is parsed: same answer.
    no_exit = CLASSIC.replace(b"exit(0);", b"")
    assert len(parse_description(no_exit, "s.nasl").body) == 1
    # A cut inside a string is retried on the whole file.
    tricky = b'x = "if (description) { exit(0); }"; if (description) { exit(0); }\n'
    assert len(parse_description(tricky).body) == 2
    with pytest.raises(NoDescriptionBlock):
        parse_description(b"display('no block');")


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        (
            b"if (description) { script_name('x'); exit(0); }",
            r"^bad\.nasl:1:1: no script_oid\(\) or script_id\(\)$",
        ),
        (b"x=1;\n if (description) { script_id(1); }", r"^bad\.nasl:2:2: no script_name\(\)$"),
        (b"x = 1;", r"no top-level 'if \(description\)'"),
        (b"if (description) { script_id(1) exit(0); }", r"bad\.nasl:1:\d+: expected ';'"),
        (b'if (description) { include("nowhere.inc"); }', r"bad\.nasl:1:20: cannot include"),
    ],
)
def test_errors_say_why(source: bytes, reason: str) -> None:
    with pytest.raises(DescriptionError, match=reason):
        Describer().describe_source(source, "bad.nasl")


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(DescriptionError, match="cannot read"):
        describe(tmp_path / "missing.nasl")


def test_script_calls_are_no_ops_outside_description_mode() -> None:
    source = b'script_id(1); script_tag(name:"a", value:"b"); x = script_get_preference("p");'
    interpreter = Interpreter(builtins=standard_library(), preferences={"p": b"set"})
    result = interpreter.run(parse(source), source=source)
    assert result.exit_codes == (None,)


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        (NaslMetadata(id=10330, oid="1.3.6.1.4.1.25623.1.0.5"), 10330),
        (NaslMetadata(oid="1.3.6.1.4.1.25623.1.0.882093"), 882093),
    ],
)
def test_plugin_ids(meta: NaslMetadata, expected: int) -> None:
    assert plugin_id(meta) == expected


@pytest.mark.parametrize(
    "oid",
    ["1.3.6.1.4.1.25623.1.1.2.2024.1139", "1.3.6.1.4.1.25623.1.0.1071655555", "1.2.3"],
)
def test_other_oids_hash_far_from_ixion_ids(oid: str) -> None:
    number = plugin_id(NaslMetadata(oid=oid))
    assert 1_000_000_000 <= number < 2**31
    assert number == plugin_id(NaslMetadata(oid=oid))


def test_plugin_info_rejects() -> None:
    with pytest.raises(ValueError, match="no script_oid"):
        to_plugin_info(NaslMetadata(name="n"), "a.nasl")
    with pytest.raises(ValueError, match="unknown category 11"):
        to_plugin_info(NaslMetadata(id=1, name="n", category=11), "a.nasl")
    with pytest.raises(ValueError, match="not positive"):
        to_plugin_info(NaslMetadata(id=-1, name="n"), "a.nasl")


def test_record_bytes_do_not_depend_on_shared_objects() -> None:
    """The engine hashes records for PLUGINS_MD5: equal metadata, equal bytes, whether
    equal strings are one object (as after a catalog load) or not."""
    text = "".join(["long ", "text"])
    one = NaslMetadata(id=1, name=text, summary=text, tags=(("summary", text),))
    two = NaslMetadata(
        id=1,
        name="".join(["long ", "text"]),
        summary="".join(["long ", "text"]),
        tags=((sys.intern("summary"), "".join(["long ", "text"])),),
    )
    assert to_bytes(one) == to_bytes(two)
    assert to_bytes(from_bytes(to_bytes(one))) == to_bytes(one)


def test_plugin_infos_of_a_catalog() -> None:
    good = Describer().describe_source(CLASSIC, "services.nasl")
    infos, errors = plugin_infos({"sub/services.nasl": good, "x.nasl": NaslMetadata(name="n")})
    assert infos == {"sub/services.nasl": to_plugin_info(good, "services.nasl")}
    assert errors == {"x.nasl": "x.nasl: no script_oid() or script_id()"}


def test_plugin_info_tags_last_value_wins() -> None:
    meta = NaslMetadata(
        id=5,
        name="n",
        tags=(("summary", "old"), ("summary", " new "), ("cvss_base", "4.3"), ("x", "y")),
        require_keys=("a", "b", "a"),
    )
    info = to_plugin_info(meta, "n.nasl")
    assert (info.summary, info.description) == ("new", "new\n\nCVSS Base Score: 4.3")
    assert info.require_keys == ("a", "b")
    assert (info.family, info.version, info.category) == ("General", "?", Category.GATHER_INFO)


def test_share_equal_makes_equal_values_one_object() -> None:
    first = ("".join(["a", "b"]), (("t", "".join(["v", "w"])),), 3, None)
    second = ("".join(["a", "b"]), (("t", "".join(["v", "w"])),), 3, None)
    odd: tuple[object, ...] = ("ab", [1], ("x", {}))  # not a record's kind of value: left as it is
    one, two, three = share_equal([first, second, odd])
    assert one == first
    assert one is two
    assert three == odd
