require 'sinatra'

get '/' do
  'hello'
end
