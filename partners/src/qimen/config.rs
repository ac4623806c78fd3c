//! Qimen connection settings: gateway URL, our Qimen app key and secret, the ERP's key
//! (`target_app_key`), the WDT business identity (`sid`, `appkey`) and the sign method.
//!
//! Contract: the secret is a `SecretString`; `Debug` never shows it.

use secrecy::SecretString;

use super::sign::SignMethod;
use crate::policy::PolicyConfig;

/// Everything needed to call Wangdiantong through the Qimen gateway.
#[derive(Debug, Clone)]
pub struct QimenConfig {
    /// Gateway URL, e.g. `http://hu3cgwt0tc.api.taobao.com/router/qm`.
    pub gateway_url: String,
    /// Our Qimen application key (system parameter `app_key`).
    pub app_key: String,
    /// Our Qimen application secret.
    pub app_secret: SecretString,
    /// The ERP's application key on Qimen (`target_app_key`).
    pub target_app_key: String,
    /// The WDT seller account (`sid`, business parameter).
    pub sid: String,
    /// The WDT application key (`appkey`, business parameter — distinct from `app_key`).
    pub wdt_appkey: String,
    /// The WDT shop number our trades belong to.
    pub shop_no: String,
    /// How requests are signed.
    pub sign_method: SignMethod,
    /// Rate limit, timeout and retries for this connection.
    pub policy: PolicyConfig,
}
