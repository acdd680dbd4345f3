"""Puts the checkout's resources/ into the wheel as activitywatch/resources/, where assets.py looks.

Everything else about the package is in pyproject.toml.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["activitywatch", "activitywatch.*"]), "activitywatch.resources"],
    package_dir={"activitywatch.resources": "resources"},
    package_data={"activitywatch": ["py.typed"], "activitywatch.resources": ["**/*"]},
    exclude_package_data={"activitywatch.resources": ["**/__pycache__/*"]},
)
