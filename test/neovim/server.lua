-- Drives `asyncwise server` from Neovim's own LSP client (Neovim 0.7+, headless), as a user's
-- config would: start the client, open a Python file, wait for the diagnostics, apply the preferred
-- quick fix of one of them, see the diagnostics follow the edit, run the fix-all command. Writes
-- what it saw as JSON to $ASYNCWISE_NVIM_OUT; test/unit/neovim.test.ts checks it.
--
--   ASYNCWISE_CLI=dist/cli.js ASYNCWISE_NVIM_FILE=/tmp/ws/worker.py ASYNCWISE_NVIM_OUT=/tmp/out.json \
--     nvim --headless --clean -c 'luafile test/neovim/server.lua'
local cli = os.getenv('ASYNCWISE_CLI')
local file = os.getenv('ASYNCWISE_NVIM_FILE')
local out = os.getenv('ASYNCWISE_NVIM_OUT')
local result = { steps = {} }

local function finish(code)
  vim.fn.writefile({ vim.fn.json_encode(result) }, out)
  vim.cmd((code == 0) and 'qall!' or ('cquit ' .. code))
end

local function fail(message)
  result.error = message
  finish(1)
end

local ok, err = pcall(function()
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  local logs = {}
  local client_id = vim.lsp.start_client({
    name = 'asyncwise',
    cmd = { 'node', cli, 'server', '--stdio' },
    root_dir = vim.fn.fnamemodify(file, ':h'),
    handlers = {
      ['window/logMessage'] = function(_, params) table.insert(logs, params.message) end,
    },
  })
  if not client_id then return fail('start_client failed') end
  vim.lsp.buf_attach_client(bufnr, client_id)
  local client = vim.lsp.get_client_by_id(client_id)

  local function asyncwise_diagnostics()
    local items = {}
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do
      local lsp = (d.user_data or {}).lsp or {}
      if d.source == 'asyncwise' then
        -- Back to the protocol's shape, as Neovim's own code-action request does (its diagnostics
        -- keep only some LSP fields in user_data; columns are bytes, the same as UTF-16 here: ASCII).
        local code = lsp.code or d.code
        local as_lsp = {
          range = { start = { line = d.lnum, character = d.col }, ['end'] = { line = d.end_lnum, character = d.end_col } },
          severity = d.severity, message = d.message, source = d.source, code = code, codeDescription = lsp.codeDescription,
        }
        table.insert(items, { line = d.lnum + 1, column = d.col + 1, code = code, severity = d.severity, message = d.message, lsp = as_lsp })
      end
    end
    table.sort(items, function(a, b) return a.line < b.line or (a.line == b.line and a.column < b.column) end)
    return items
  end

  -- 1. Diagnostics arrive (pushed: Neovim 0.7 does not pull).
  if not vim.wait(30000, function() return #asyncwise_diagnostics() > 0 end, 50) then
    result.logs = logs
    return fail('no diagnostics within 30 s')
  end
  -- The project index may add cross-file findings a moment later; let the first wave settle.
  vim.wait(1500, function() return false end, 50)
  local diagnostics = asyncwise_diagnostics()
  result.diagnostics = {}
  for _, d in ipairs(diagnostics) do
    table.insert(result.diagnostics, { line = d.line, column = d.column, code = d.code, severity = d.severity, href = (d.lsp.codeDescription or {}).href })
  end

  -- 2. The preferred quick fix of the `time.sleep` finding, applied as a user would.
  local target
  for _, d in ipairs(diagnostics) do
    if d.code == 'AW201' and d.message:find('time.sleep', 1, true) then target = d end
  end
  if not target then return fail('no AW201 for time.sleep') end
  local params = {
    textDocument = vim.lsp.util.make_text_document_params(bufnr),
    range = target.lsp.range,
    context = { diagnostics = { target.lsp } },
  }
  local responses = vim.lsp.buf_request_sync(bufnr, 'textDocument/codeAction', params, 10000)
  result.code_action_request = { params = params, response = responses and responses[client_id] }
  local actions = (responses and responses[client_id] and responses[client_id].result) or {}
  result.actions = {}
  local preferred
  for _, a in ipairs(actions) do
    table.insert(result.actions, a.title)
    if a.isPreferred then preferred = a end
  end
  if not preferred then return fail('no preferred code action') end
  vim.lsp.util.apply_workspace_edit(preferred.edit, client.offset_encoding)
  result.fixed_line = vim.api.nvim_buf_get_lines(bufnr, target.line - 1, target.line, false)[1]

  -- 3. The edit went to the server (didChange): the finding is gone, the others stay.
  local before = #diagnostics
  local followed = vim.wait(15000, function()
    local now = asyncwise_diagnostics()
    if #now ~= before - 1 then return false end
    for _, d in ipairs(now) do
      if d.line == target.line and d.code == 'AW201' then return false end
    end
    return true
  end, 50)
  result.after_fix = #asyncwise_diagnostics()
  if not followed then return fail('diagnostics did not follow the edit') end

  -- 4. Fix all: the server asks Neovim to apply the edit (workspace/applyEdit).
  local uri = vim.uri_from_bufnr(bufnr)
  local fixall = vim.lsp.buf_request_sync(bufnr, 'workspace/executeCommand', { command = 'asyncwise.server.fixAll', arguments = { uri } }, 15000)
  result.fix_all = fixall and fixall[client_id] and fixall[client_id].result
  result.text = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), '\n') .. '\n'
  vim.lsp.stop_client(client_id)
  finish(0)
end)
if not ok then fail(tostring(err)) end
