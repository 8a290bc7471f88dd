"""The course: its model, and loading it from source with file:line errors."""

from .errors import CourseError, Problem
from .load import load_course
from .model import Course

__all__ = ["Course", "CourseError", "Problem", "load_course"]
