//! The WDT methods behind the gateway: trade push, logistics sync query/ack, stock queries.
//! Each answers `{"response":{"flag":"success","code":0,…}}` or a Qimen `flag=failure`.

use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use switchyard_partners::qimen::error::codes;
use switchyard_partners::qimen::wire::{
    methods, LogisticsSyncAckRequest, LogisticsSyncQuery, StockChangeAckRequest, StockChangeQuery,
    StockQuery, TradePushRequest, MAX_ACKS_PER_CALL, MAX_QUERY_LIMIT, MAX_TRADES_PER_PUSH,
};

use super::gateway::{qimen_failure, top_error, QimenSimulator};

fn success(mut fields: Value) -> Value {
    fields["flag"] = "success".into();
    fields["code"] = 0.into();
    fields["message"] = "ok".into();
    json!({ "response": fields })
}

fn parse<T: DeserializeOwned>(business: Value) -> Result<T, Value> {
    serde_json::from_value(business)
        .map_err(|e| qimen_failure("isv.invalid-parameter", &e.to_string(), "params"))
}

/// Runs `method` against the ERP state.
pub(crate) fn dispatch(sim: &QimenSimulator, method: &str, business: Value) -> Value {
    let answer = match method {
        methods::TRADE_PUSH => trade_push(sim, business),
        methods::LOGISTICS_SYNC_QUERY => logistics_sync_query(sim, business),
        methods::LOGISTICS_SYNC_ACK => logistics_sync_ack(sim, business),
        methods::STOCK_QUERY => stock_query(sim, business),
        methods::STOCK_CHANGE_QUERY => stock_change_query(sim, business),
        methods::STOCK_CHANGE_ACK => stock_change_ack(sim, business),
        _ => Err(top_error(codes::INVALID_METHOD, "Invalid method", None)),
    };
    answer.unwrap_or_else(|failure| failure)
}

fn trade_push(sim: &QimenSimulator, business: Value) -> Result<Value, Value> {
    let request: TradePushRequest = parse(business)?;
    if request.trade_list.is_empty() || request.trade_list.len() > MAX_TRADES_PER_PUSH {
        return Err(qimen_failure(
            "isv.invalid-parameter",
            "trade_list must hold 1..=50 trades",
            "trade_list",
        ));
    }
    let mut state = sim.state();
    state.trade_pushes.push(request.clone());
    let (mut new_count, mut chg_count) = (0u32, 0u32);
    for trade in request.trade_list {
        // tid is unique per sid: a repeat updates the trade instead of adding one.
        match state.trades.insert(trade.tid.clone(), trade) {
            None => new_count += 1,
            Some(_) => chg_count += 1,
        }
    }
    Ok(success(
        json!({"new_count": new_count, "chg_count": chg_count}),
    ))
}

fn logistics_sync_query(sim: &QimenSimulator, business: Value) -> Result<Value, Value> {
    let query: LogisticsSyncQuery = parse(business)?;
    if query.limit == 0 || query.limit > MAX_QUERY_LIMIT {
        return Err(qimen_failure(
            "isv.invalid-parameter",
            "limit must be 1..=100",
            "limit",
        ));
    }
    let state = sim.state();
    let trades: Vec<_> = state
        .pending_shipments
        .values()
        .take(query.limit as usize)
        .cloned()
        .collect();
    Ok(success(json!({ "trades": trades })))
}

fn logistics_sync_ack(sim: &QimenSimulator, business: Value) -> Result<Value, Value> {
    let request: LogisticsSyncAckRequest = parse(business)?;
    if request.logistics_list.is_empty() || request.logistics_list.len() > MAX_ACKS_PER_CALL {
        return Err(qimen_failure(
            "isv.invalid-parameter",
            "logistics_list must hold 1..=50 acks",
            "logistics_list",
        ));
    }
    let mut state = sim.state();
    for ack in request.logistics_list {
        // Either outcome takes the record out of the queue: a failed sync is the ERP's to re-queue.
        state.pending_shipments.remove(&ack.rec_id);
        state.logistics_acks.push(ack);
    }
    Ok(success(json!({})))
}

fn stock_query(sim: &QimenSimulator, business: Value) -> Result<Value, Value> {
    let query: StockQuery = parse(business)?;
    let page_size = query.page_size.clamp(1, MAX_QUERY_LIMIT) as usize;
    let state = sim.state();
    let stocks: Vec<_> = state
        .stock
        .iter()
        .skip(query.page_no as usize * page_size)
        .take(page_size)
        .cloned()
        .collect();
    Ok(success(
        json!({"total_count": state.stock.len(), "stocks": stocks}),
    ))
}

fn stock_change_query(sim: &QimenSimulator, business: Value) -> Result<Value, Value> {
    let query: StockChangeQuery = parse(business)?;
    let limit = query.limit.clamp(1, MAX_QUERY_LIMIT) as usize;
    let state = sim.state();
    let changes: Vec<_> = state
        .pending_stock_changes
        .values()
        .take(limit)
        .cloned()
        .collect();
    Ok(success(json!({ "stock_change_list": changes })))
}

fn stock_change_ack(sim: &QimenSimulator, business: Value) -> Result<Value, Value> {
    let request: StockChangeAckRequest = parse(business)?;
    if request.stock_sync_list.is_empty() || request.stock_sync_list.len() > MAX_ACKS_PER_CALL {
        return Err(qimen_failure(
            "isv.invalid-parameter",
            "stock_sync_list must hold 1..=50 acks",
            "stock_sync_list",
        ));
    }
    let mut state = sim.state();
    for ack in request.stock_sync_list {
        // Only an ack for the change counter we reported clears it; a newer change stays pending.
        let current = state
            .pending_stock_changes
            .get(&ack.rec_id)
            .map(|c| c.stock_change_count);
        if current == Some(ack.stock_change_count) {
            state.pending_stock_changes.remove(&ack.rec_id);
        }
        state.stock_change_acks.push(ack);
    }
    Ok(success(json!({})))
}
