"""Classic setup for bench (``pip install -e apps/wix_commerce_sync``) and for the sandbox."""

import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
VERSION = re.search(r'__version__ = "([^"]+)"', (HERE / "wix_commerce_sync" / "__init__.py").read_text()).group(1)
REQUIRES = [
    line.strip()
    for line in (HERE / "requirements.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
]

setup(
    name="wix_commerce_sync",
    version=VERSION,
    description="Keeps ERPNext and Wix, WooCommerce and Shopify stores in sync, both ways, for many stores",
    author="wix_commerce_sync developers",
    license="MIT",
    packages=find_packages(include=["wix_commerce_sync", "wix_commerce_sync.*"]),
    include_package_data=True,
    zip_safe=False,
    python_requires=">=3.10",
    install_requires=REQUIRES,
    entry_points={"console_scripts": ["wix-commerce-sync=wix_commerce_sync.cli:main"]},
)
