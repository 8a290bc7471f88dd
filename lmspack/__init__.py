"""lmspack: one plain-text course, compiled to SCORM packages and served as an LTI 1.3 tool."""

__version__ = "0.1.0"
