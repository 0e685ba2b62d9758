-- Links between the report's pages in the PDFs (format.typst.filters of _quarto.yml).
-- A page links another as "05-income-scenarios.ipynb" (how Jupyter follows it). On the HTML site
-- Quarto makes that "05-income-scenarios.html"; in a PDF the link would otherwise point to the
-- notebook. This filter points it at the published page instead: the same relative path with .html,
-- which resolves beside the PDF on the site (every page's PDF is published next to its HTML).
function Link(link)
  local target = link.target
  if target:match("^[%a][%w+.-]*:") or target:match("^#") or target:match("^/") then
    return nil  -- an address with a scheme, an anchor on the same page, or an absolute path
  end
  local path, rest = target:match("^([^#?]*)(.*)$")
  if path:match("%.ipynb$") or path:match("%.qmd$") then
    link.target = path:gsub("%.%w+$", ".html") .. rest
    return link
  end
  return nil
end
