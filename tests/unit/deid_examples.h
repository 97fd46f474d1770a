/* Two example scripts in the shape of DicomEdit 6's documented examples,
 * shared by the unit tests and tests/bench/deid. */
#ifndef ARCA_DEID_EXAMPLES_H
#define ARCA_DEID_EXAMPLES_H

static const char *const example_b =
    "version \"6.1\"\n"
    "(0010,0010) := subject\n"
    "(0010,0020) := session\n"
    "(0010,0030) := \"\"\n"
    "-(0010,1040)\n"
    "(0008,0050) := \"\"\n"
    "-(0008,0080)\n"
    "-(0018,1000)\n"
    "-*/(0010,1002)\n"
    "(0020,000D) := hashUID[(0020,000D)]\n"
    "(0020,000E) := hashUID[(0020,000E)]\n"
    "(0008,0018) := hashUID[(0008,0018)]\n"
    "(0020,0052) := hashUID[(0020,0052)]\n"
    "removeAllPrivateTags\n"
    "(0012,0062) := \"YES\"\n"
    "(0012,0063) := \"Site DicomEdit profile v1\"\n";

static const char *const example_c =
    "version \"6.3\"\n"
    "(0008,0020) := shiftDateByIncrement[(0008,0020), \"-30\"]\n"
    "(0008,002A) ?= shiftDateTimeByIncrement[(0008,002A), \"-2592000\"]\n"
    "retainPrivateTags[\"(0029,{SIEMENS CSA HEADER}XX)\"]\n"
    "(0008,0060) = \"MR\" ? (0008,103E) := format[\"{0}_{1}\", project, lowercase[modalityLabel]]\n"
    "(0010,0010) !~ \"^SUBJ[0-9]+$\" ? (0010,0010) := subject\n";

#endif
