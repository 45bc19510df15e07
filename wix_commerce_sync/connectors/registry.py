"""Platform -> connector class, imported lazily so one platform's deps never load another's."""

from __future__ import annotations

from importlib import import_module

from wix_commerce_sync.connectors.base import Connector, StoreConfig
from wix_commerce_sync.sync.errors import ConfigurationError
from wix_commerce_sync.sync.models import Platform

CONNECTORS: dict[Platform, str] = {
    Platform.SHOPIFY: "wix_commerce_sync.connectors.shopify.connector:ShopifyConnector",
    Platform.WOOCOMMERCE: "wix_commerce_sync.connectors.woocommerce.connector:WooCommerceConnector",
    Platform.WIX: "wix_commerce_sync.connectors.wix.connector:WixConnector",
}


def connector_class(platform: Platform | str) -> type[Connector]:
    platform = Platform(platform)
    module_name, _, class_name = CONNECTORS[platform].partition(":")
    try:
        module = import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ConfigurationError(f"no connector for {platform.value} is installed") from exc
    return getattr(module, class_name)


def make_connector(config: StoreConfig) -> Connector:
    return connector_class(config.platform)(config)
