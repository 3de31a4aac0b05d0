"""The TP's sections, one table (lab/sections.py): every section of the catalogue has a
provision module, an acceptance module and the nodes it is provisioned on, and the
acceptance module checks that section's requirements."""

from collections import defaultdict

from lab.catalogue import acceptance_tests, load_catalogue
from lab.sections import SECTION, SECTIONS
from lab.settings import REPO


def test_the_table_and_the_catalogue_name_the_same_sections_in_the_same_order():
    catalogue = load_catalogue()
    in_catalogue = list(dict.fromkeys(requirement.section for requirement in catalogue.values()))
    assert in_catalogue == [section.name for section in SECTIONS]
    for requirement in catalogue.values():
        assert requirement.id.startswith(SECTION[requirement.section].prefix + "-")


def test_each_section_has_its_provision_and_acceptance_modules():
    for section in SECTIONS:
        assert (REPO / "provision" / f"{section.module}.py").is_file(), section
        assert (REPO / "acceptance" / f"test_{section.module}.py").is_file(), section


def test_each_acceptance_module_checks_its_own_section():
    prefixes = defaultdict(set)
    for test, ids in acceptance_tests().items():
        module = test.split("::")[0].removeprefix("acceptance/test_").removesuffix(".py")
        prefixes[module] |= {id_.split("-")[0] for id_ in ids}
    for section in SECTIONS:
        assert prefixes[section.module] == {section.prefix}, section


def test_what_the_second_host_is_asked_is_provisioned_there():
    # node2 is graded on the catalogue's `second` requirements: their sections run there.
    for requirement in load_catalogue().values():
        if requirement.second:
            assert SECTION[requirement.section].everywhere, requirement.id
